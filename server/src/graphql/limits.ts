import {
  GraphQLError, Kind, Lexer, Source, TokenKind, getOperationAST, getVariableValues, parse, specifiedRules, validate, visit,
  type ASTVisitor, type DocumentNode, type FragmentDefinitionNode, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import { createRequire } from 'node:module';
import { AppError, ErrorCode } from '../common/errors.js';
import type { Config } from '../config.js';
import type { Viewer } from './context.js';

// The package's ESM build imports graphql's .mjs files, a second copy of graphql next to the
// CommonJS one type-graphql uses ("from another module or realm"); its CommonJS build shares ours.
const { getComplexity, simpleEstimator, fieldExtensionsEstimator } = createRequire(import.meta.url)(
  'graphql-query-complexity',
) as typeof import('graphql-query-complexity');

/*
 * One set of limits for every transport (ADR 0072, ADR 0095). HTTP (graphql-http.ts) and the
 * WebSocket (ws-server.ts) both run checkDocument, then GraphQL's own validation, then
 * checkOperation. The checks that cost time in proportion to the document come first and are
 * linear: a document over a limit is refused before GraphQL's validation, whose overlap check
 * compares fields pairwise, spends anything on it.
 */
export const MAX_DEPTH = 10;
export const MAX_ALIASES = 30;
export const MAX_COMPLEXITY = 2000;
/** Lexical tokens in one document: GraphiQL's introspection query has 183, the shell's largest 72. */
export const MAX_TOKENS = 1000;
/** Selections of one response name in one selection set, fragments included. */
export const MAX_REPEATED_FIELD = 20;
/** GraphQL's validation stops after this many errors: a client mistake is told in a few. */
export const MAX_VALIDATION_ERRORS = 20;
/** Subscriptions open at once on one socket (the shell keeps two). */
export const MAX_SUBSCRIPTIONS_PER_SOCKET = 10;

/**
 * An AppError, so its code survives Apollo relabelling validation errors
 * GRAPHQL_VALIDATION_FAILED (formatError restores an AppError's own extensions).
 */
export function limitError(message: string, limit: string, value: number | null, max: number): AppError {
  return new AppError(ErrorCode.QUERY_TOO_COMPLEX, message, { limit, value, max });
}

export function isLimitError(error: GraphQLError): boolean {
  const app = error instanceof AppError ? error : error.originalError;
  return app instanceof AppError && app.extensions.limit !== undefined;
}

/** Refuses operations nested deeper than MAX_DEPTH (fragments followed). */
export function depthLimitRule(context: ValidationContext): ASTVisitor {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of context.getDocument().definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  }
  const depthOf = (set: SelectionSetNode | undefined, depth: number, seen: Set<string>): number => {
    if (!set) return depth;
    let max = depth;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        if (sel.name.value.startsWith('__')) continue;
        max = Math.max(max, depthOf(sel.selectionSet, depth + 1, seen));
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        max = Math.max(max, depthOf(sel.selectionSet, depth, seen));
      } else {
        const name = sel.name.value;
        const frag = fragments.get(name);
        if (frag && !seen.has(name)) max = Math.max(max, depthOf(frag.selectionSet, depth, new Set([...seen, name])));
      }
      if (max > MAX_DEPTH) return max;
    }
    return max;
  };
  return {
    OperationDefinition(node) {
      const depth = depthOf(node.selectionSet, 0, new Set());
      if (depth > MAX_DEPTH) {
        context.reportError(limitError(`Query depth ${depth} exceeds the maximum of ${MAX_DEPTH}`, 'depth', depth, MAX_DEPTH));
      }
    },
  };
}

/** Refuses operations with more than MAX_ALIASES aliases (aliases multiply work for free). */
export function aliasLimitRule(context: ValidationContext): ASTVisitor {
  let count = 0;
  return {
    Field(node) {
      if (node.alias) count++;
    },
    Document: {
      leave() {
        if (count > MAX_ALIASES) {
          context.reportError(limitError(`${count} aliases exceed the maximum of ${MAX_ALIASES}`, 'aliases', count, MAX_ALIASES));
        }
      },
    },
  };
}

/**
 * Refuses a selection set that selects one response name more than MAX_REPEATED_FIELD times
 * (through fragments too). GraphQL's overlap check compares every pair of such selections:
 * 250 `me { id }` in 1,000 tokens cost it ~70 ms, 9,900 of them over a second.
 */
export function repeatedFieldRule(context: ValidationContext): ASTVisitor {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of context.getDocument().definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  }
  const ofFragment = new Map<string, Map<string, number>>();
  const collect = (set: SelectionSetNode, into: Map<string, number>, seen: ReadonlySet<string>): void => {
    const spreads = new Set<string>();
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        const name = sel.alias?.value ?? sel.name.value;
        into.set(name, (into.get(name) ?? 0) + 1);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        collect(sel.selectionSet, into, seen);
      } else if (!spreads.has(sel.name.value)) {
        // GraphQL's overlap check, too, takes a fragment spread once per selection set.
        spreads.add(sel.name.value);
        for (const [name, n] of countsOf(sel.name.value, seen)) into.set(name, (into.get(name) ?? 0) + n);
      }
    }
  };
  const countsOf = (fragment: string, seen: ReadonlySet<string>): Map<string, number> => {
    const known = ofFragment.get(fragment);
    if (known) return known;
    const def = fragments.get(fragment);
    const counts = new Map<string, number>();
    // A cycle is NoFragmentCyclesRule's to report; here it counts for nothing.
    if (!def || seen.has(fragment)) return counts;
    collect(def.selectionSet, counts, new Set([...seen, fragment]));
    ofFragment.set(fragment, counts);
    return counts;
  };
  let reported = false;
  return {
    SelectionSet(node) {
      if (reported) return false;
      const counts = new Map<string, number>();
      collect(node, counts, new Set());
      for (const [name, n] of counts) {
        if (n > MAX_REPEATED_FIELD) {
          reported = true;
          context.reportError(
            limitError(`Field "${name}" is selected ${n} times in one selection set, over the maximum of ${MAX_REPEATED_FIELD}`, 'repeatedField', n, MAX_REPEATED_FIELD),
          );
          return false;
        }
      }
      return undefined;
    },
  };
}

/** The limits that are not GraphQL's own; each is linear in the document's size. */
export const limitRules = [depthLimitRule, aliasLimitRule, repeatedFieldRule];

function tokenCountExceeds(source: string, max: number): boolean {
  const lexer = new Lexer(new Source(source));
  try {
    let count = 0;
    while (lexer.advance().kind !== TokenKind.EOF) if (++count > max) return true;
  } catch {
    // A syntax error: parse reports it, with its position, the standard way.
  }
  return false;
}

export type CheckedDocument = { document: DocumentNode; errors?: undefined } | { document?: undefined; errors: readonly GraphQLError[] };

/** Documents that passed checkDocument, kept per schema: the clients send a few dozen, over and over. */
export const MAX_CHECKED_DOCUMENTS = 500;
/** Longer sources are checked every time rather than kept (the shell's largest is ~1,000 characters). */
const MAX_CHECKED_SOURCE_LENGTH = 8_000;
const checkedDocuments = new WeakMap<GraphQLSchema, Map<string, DocumentNode>>();

/**
 * Parses a document under the token limit and runs the limit rules on it: what must be true of
 * a document before GraphQL's own validation may spend time on it. Errors are limit refusals
 * (QUERY_TOO_COMPLEX) or the syntax error (GRAPHQL_PARSE_FAILED). The outcome depends on the
 * source and the schema alone, so a document that passed is remembered (least recently used
 * dropped first) and the same source is not lexed, parsed and checked again.
 */
export function checkDocument(schema: GraphQLSchema, source: string): CheckedDocument {
  // A longer source is never kept: not even hashed for a look-up (a 99 kB flood is refused by its tokens).
  if (source.length > MAX_CHECKED_SOURCE_LENGTH) return checkSource(schema, source);
  let known = checkedDocuments.get(schema);
  const document = known?.get(source);
  if (document) {
    known!.delete(source);
    known!.set(source, document);
    return { document };
  }
  const checked = checkSource(schema, source);
  if (checked.document) {
    if (!known) checkedDocuments.set(schema, (known = new Map()));
    if (known.size >= MAX_CHECKED_DOCUMENTS) known.delete(known.keys().next().value!);
    known.set(source, checked.document);
  }
  return checked;
}

function checkSource(schema: GraphQLSchema, source: string): CheckedDocument {
  if (tokenCountExceeds(source, MAX_TOKENS)) {
    return { errors: [limitError(`The document has more than ${MAX_TOKENS} tokens, the maximum`, 'tokens', null, MAX_TOKENS)] };
  }
  let document: DocumentNode;
  try {
    document = parse(source, { maxTokens: MAX_TOKENS });
  } catch (e) {
    const error = e instanceof GraphQLError ? e : new GraphQLError(String(e));
    return { errors: [new GraphQLError(error.message, { source: error.source, positions: error.positions, extensions: { code: 'GRAPHQL_PARSE_FAILED' } })] };
  }
  const errors = validate(schema, document, limitRules, { maxErrors: MAX_VALIDATION_ERRORS });
  return errors.length ? { errors } : { document };
}

const validated = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, readonly GraphQLError[]>>();

/**
 * GraphQL's own validation rules, stopped after MAX_VALIDATION_ERRORS, errors coded as Apollo
 * codes them; remembered per document object (checkDocument hands the same one for the same source).
 */
export function validateDocument(schema: GraphQLSchema, document: DocumentNode): readonly GraphQLError[] {
  let ofSchema = validated.get(schema);
  if (!ofSchema) validated.set(schema, (ofSchema = new WeakMap()));
  let errors = ofSchema.get(document);
  if (!errors) ofSchema.set(document, (errors = validateOnce(schema, document)));
  return errors;
}

function validateOnce(schema: GraphQLSchema, document: DocumentNode): readonly GraphQLError[] {
  return validate(schema, document, specifiedRules, { maxErrors: MAX_VALIDATION_ERRORS }).map(
    (e) => new GraphQLError(e.message, { nodes: e.nodes, source: e.source, positions: e.positions, originalError: e.originalError, extensions: { ...e.extensions, code: 'GRAPHQL_VALIDATION_FAILED' } }),
  );
}

const introspecting = new WeakMap<DocumentNode, boolean>();

function usesIntrospection(document: DocumentNode): boolean {
  const known = introspecting.get(document);
  if (known !== undefined) return known;
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') found = true;
    },
  });
  introspecting.set(document, found);
  return found;
}

/** Variable sets whose cost is remembered per document (the dashboard's filter varies as one types). */
const MAX_COSTS_PER_DOCUMENT = 100;
const MAX_CHECKED_VARIABLES_LENGTH = 1_000;
const costs = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, number | null>>>();

/**
 * The cost of `document`'s operation under `variables`, or null when the variables do not
 * coerce. It depends on the schema, the document, the operation and the variables alone:
 * remembered per document object (Apollo keeps one parsed object per source, our checks too)
 * and per operation name and variables.
 */
function costOf(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>): number | null {
  let ofSchema = costs.get(schema);
  if (!ofSchema) costs.set(schema, (ofSchema = new WeakMap()));
  let ofDocument = ofSchema.get(document);
  if (!ofDocument) ofSchema.set(document, (ofDocument = new Map()));
  const key = `${operation.name?.value ?? ''}\u0000${JSON.stringify(variables)}`;
  const known = ofDocument.get(key);
  if (known !== undefined) return known;
  const cost = computeCost(schema, document, operation, variables);
  // Large variables (a text typed by a user) are costed each time rather than kept.
  if (key.length <= MAX_CHECKED_VARIABLES_LENGTH) {
    if (ofDocument.size >= MAX_COSTS_PER_DOCUMENT) ofDocument.delete(ofDocument.keys().next().value!);
    ofDocument.set(key, cost);
  }
  return cost;
}

function computeCost(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>): number | null {
  // getComplexity coerces the variables too and throws their first error without a code, which
  // formatError would mask as an internal error. Variables that do not coerce are the client's
  // mistake: execution refuses them before any resolver runs, the standard way (BAD_USER_INPUT,
  // HTTP 400, every error listed), so there is nothing to cost.
  const { errors: variableErrors } = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  if (variableErrors?.length) return null;
  return getComplexity({
    schema,
    operationName: operation.name?.value,
    query: document,
    variables,
    estimators: [
      fieldExtensionsEstimator(),
      ({ args, childComplexity }) => {
        const first = typeof args.first === 'number' ? args.first : undefined;
        return first !== undefined ? 1 + childComplexity * Math.max(1, first) : undefined;
      },
      simpleEstimator({ defaultComplexity: 1 }),
    ],
  });
}

/**
 * The operation the request names, or a BAD_REQUEST saying why there is none (an unnamed
 * document sent with an operationName, as GraphiQL's new tab does; several operations, none
 * named). GraphQL would find out only at execution, after the cost analysis.
 */
export function operationOf(document: DocumentNode, operationName: string | null | undefined): OperationDefinitionNode {
  const operation = getOperationAST(document, operationName);
  if (operation) return operation;
  const names = document.definitions.flatMap((d) => (d.kind === Kind.OPERATION_DEFINITION ? [d.name?.value ?? '(unnamed)'] : []));
  const message = operationName
    ? `The document has no operation named "${operationName}" (it has: ${names.join(', ') || 'none'})`
    : `The document has ${names.length} operations: send the operationName of the one to run`;
  throw new AppError(ErrorCode.BAD_REQUEST, message);
}

/**
 * The checks of a valid document that depend on the request: the operation it names, in
 * production introspection only for a signed-in caller (the schema is a map of the attack
 * surface), and the cost (each field 1, lists multiplied by their `first`). Throws the refusal.
 */
export function checkOperation(
  schema: GraphQLSchema,
  config: Pick<Config, 'env'>,
  request: { document: DocumentNode; operationName?: string | null; variables?: Record<string, unknown> | null; viewer: Viewer },
): OperationDefinitionNode {
  const { document, viewer } = request;
  const operation = operationOf(document, request.operationName);
  if (config.env === 'production' && viewer.kind !== 'user' && viewer.kind !== 'facility' && usesIntrospection(document)) {
    throw new AppError(ErrorCode.UNAUTHENTICATED, 'Introspection (__schema, __type) is available to signed-in users only', { limit: 'introspection' });
  }
  const complexity = costOf(schema, document, operation, request.variables ?? {});
  if (complexity !== null && complexity > MAX_COMPLEXITY) {
    throw limitError(`Query cost ${complexity} exceeds the maximum of ${MAX_COMPLEXITY}`, 'complexity', complexity, MAX_COMPLEXITY);
  }
  return operation;
}
