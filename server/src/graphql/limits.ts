import {
  Kind, getVariableValues, visit, type ASTVisitor, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext,
} from 'graphql';
import type { GraphQLSchema } from 'graphql';
import { createRequire } from 'node:module';
import type { ApolloServerPlugin } from '@apollo/server';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { AppError, ErrorCode } from '../common/errors.js';
import type { Config } from '../config.js';
import type { Context } from './context.js';

// The package's ESM build imports graphql's .mjs files, a second copy of graphql next to the
// CommonJS one type-graphql uses ("from another module or realm"); its CommonJS build shares ours.
const { getComplexity, simpleEstimator, fieldExtensionsEstimator } = createRequire(import.meta.url)(
  'graphql-query-complexity',
) as typeof import('graphql-query-complexity');

export const MAX_DEPTH = 10;
export const MAX_ALIASES = 30;
export const MAX_COMPLEXITY = 2000;

/**
 * An AppError, so its code survives Apollo relabelling validation errors
 * GRAPHQL_VALIDATION_FAILED (the app's formatError restores an AppError's own extensions).
 */
function limitError(message: string, limit: string, value: number, max: number): AppError {
  return new AppError(ErrorCode.QUERY_TOO_COMPLEX, message, { limit, value, max });
}

/** A limit refusal outside GraphQL execution (body parsing), in the same shape. */
function limitResponse(res: Response, status: number, message: string, limit: string, value: number | null, max: number): void {
  res.status(status).json({ errors: [{ message, extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, limit, value, max } }] });
}

/**
 * The body parser of /graphql with its limits answered in GraphQL's error shape: a body over
 * MAX_GRAPHQL_BODY_BYTES gets 413 naming the limit, and a batch (a JSON array of operations)
 * is refused before it reaches Apollo (one operation per request: batches multiply the cost
 * limits by the array length).
 */
export function graphqlBody(config: Config): RequestHandler[] {
  const max = config.maxGraphqlBodyBytes;
  return [
    express.json({ limit: max }),
    ((err: unknown, _req: Request, res: Response, next: NextFunction) => {
      const e = err as { type?: string; length?: number } | undefined;
      if (e?.type === 'entity.too.large') {
        limitResponse(res, 413, `Request body of ${e.length ?? 'more than ' + max} bytes exceeds the maximum of ${max} bytes`, 'bodyBytes', e.length ?? null, max);
        return;
      }
      next(err);
    }) as unknown as RequestHandler,
    (req, res, next) => {
      if (Array.isArray(req.body)) {
        limitResponse(res, 400, `Batched operations are not accepted: send one operation per request (got ${req.body.length})`, 'batch', req.body.length, 1);
        return;
      }
      next();
    },
  ];
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

function usesIntrospection(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') found = true;
    },
  });
  return found;
}

/**
 * Per-request limits, after validation: cost analysis (each field costs 1, lists multiply by
 * their `first` argument), and, in production, introspection only for a signed-in caller (the
 * schema is a map of the attack surface; the playground's documentation needs a session
 * anyway). Every refusal names its limit and answers 400 (401 for introspection).
 */
export function limitsPlugin(schema: GraphQLSchema, config: Pick<Config, 'env'>): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, operation, contextValue }) {
          if (config.env === 'production' && contextValue.viewer.kind !== 'user' && contextValue.viewer.kind !== 'facility' && usesIntrospection(document)) {
            throw new AppError(ErrorCode.UNAUTHENTICATED, 'Introspection (__schema, __type) is available to signed-in users only', { limit: 'introspection' });
          }
          // getComplexity coerces the variables too and throws their first error without a code,
          // which formatError would mask as an internal error. Variables that do not coerce are
          // the client's mistake: execution refuses them before any resolver runs, the standard
          // way (BAD_USER_INPUT, HTTP 400, every error listed), so there is nothing to cost.
          const { errors: variableErrors } = getVariableValues(schema, operation?.variableDefinitions ?? [], request.variables ?? {});
          if (variableErrors?.length) return;
          const complexity = getComplexity({
            schema,
            operationName: request.operationName ?? undefined,
            query: document,
            variables: request.variables ?? {},
            estimators: [
              fieldExtensionsEstimator(),
              ({ args, childComplexity }) => {
                const first = typeof args.first === 'number' ? args.first : undefined;
                return first !== undefined ? 1 + childComplexity * Math.max(1, first) : undefined;
              },
              simpleEstimator({ defaultComplexity: 1 }),
            ],
          });
          if (complexity > MAX_COMPLEXITY) {
            throw limitError(`Query cost ${complexity} exceeds the maximum of ${MAX_COMPLEXITY}`, 'complexity', complexity, MAX_COMPLEXITY);
          }
        },
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const refused = response.body.singleResult.errors?.find((e) => e.extensions?.limit !== undefined);
          if (refused) response.http.status = refused.extensions?.code === ErrorCode.UNAUTHENTICATED ? 401 : 400;
        },
      };
    },
  };
}
