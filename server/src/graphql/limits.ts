import {
  GraphQLError, Kind, type ASTVisitor, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext,
} from 'graphql';
import type { GraphQLSchema } from 'graphql';
import { createRequire } from 'node:module';
import type { ApolloServerPlugin } from '@apollo/server';
import { ErrorCode } from '../common/errors.js';

// The package's ESM build imports graphql's .mjs files, a second copy of graphql next to the
// CommonJS one type-graphql uses ("from another module or realm"); its CommonJS build shares ours.
const { getComplexity, simpleEstimator, fieldExtensionsEstimator } = createRequire(import.meta.url)(
  'graphql-query-complexity',
) as typeof import('graphql-query-complexity');

export const MAX_DEPTH = 10;
export const MAX_ALIASES = 30;
export const MAX_COMPLEXITY = 2000;

function limitError(message: string, limit: string, value: number, max: number): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, limit, value, max } });
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

/** Cost analysis: each field costs 1, lists multiply by their `first` argument (default 25). */
export function complexityPlugin(schema: GraphQLSchema): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
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
      };
    },
  };
}
