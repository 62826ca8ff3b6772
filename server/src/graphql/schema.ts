import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema, getMetadataStorage } from 'type-graphql';
import type { PgPubSub } from '../infra/pubsub/pg-pubsub.js';
import { authChecker } from './auth-checker.js';
import { resolvers } from './resolvers.js';

/**
 * type-graphql gives every plain field of an object type a resolver of its own, to run
 * middlewares and @Authorized on it. A field with neither (and no global middleware: none is
 * configured) is left to GraphQL's default resolver, which reads the same property: a dashboard
 * page has ~275 such fields. A field that has an @Authorized or a middleware keeps its resolver
 * and its check; so does one whose schema name differs from its property.
 */
function plainFieldsResolvedByDefault(): void {
  const storage = getMetadataStorage();
  // As type-graphql's build finds them (findFieldRoles, middlewares): per declaring class and
  // property, or for the whole class.
  const guardedClasses = new Set<unknown>([...storage.authorizedResolver, ...storage.resolverMiddlewares].map((m) => m.target));
  const guardedFields = [...storage.authorizedFields, ...storage.middlewares];
  for (const field of storage.fields) {
    const guarded = guardedClasses.has(field.target) || guardedFields.some((m) => m.target === field.target && m.fieldName === field.name);
    if (field.simple === undefined && !guarded && field.name === field.schemaName) field.simple = true;
  }
}

export async function createSchema(pubSub?: PgPubSub): Promise<GraphQLSchema> {
  plainFieldsResolvedByDefault();
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
