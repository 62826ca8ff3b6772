import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import type { PgPubSub } from '../infra/pubsub/pg-pubsub.js';
import { authChecker } from './auth-checker.js';
import { resolvers } from './resolvers.js';

export async function createSchema(pubSub?: PgPubSub): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers,
    authChecker,
    authMode: 'error',
    pubSub: pubSub ?? { publish: () => undefined, subscribe: () => ({ [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }) }) },
    validate: false,
  });
}

/** The SDL committed as schema.graphql (sorted, so diffs show only real changes). */
export function printSdl(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
