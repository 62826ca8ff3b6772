import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  buildSchema, getNamedType, isEnumType, isInputObjectType, isListType, isNonNullType, isScalarType,
  type GraphQLArgument, type GraphQLField, type GraphQLInputType, type GraphQLSchema,
} from 'graphql';
import { getMetadataStorage } from 'type-graphql';
import { repoRoot } from '../../src/config.js';

/**
 * The one allow-list of operations a caller without a session may use. Anything else in
 * schema.graphql must answer UNAUTHENTICATED to an anonymous caller: adding a field here is a
 * security decision that a reviewer sees in the diff.
 */
export const PUBLIC_OPERATIONS = new Set([
  'Query.me',
  'Mutation.login',
  'Mutation.logout',
  'Mutation.requestAccount',
  'Mutation.activateAccount',
  'Mutation.requestPasswordReset',
  'Mutation.resetPassword',
  // The login's second step: it acts only for the browser holding a pending login's cookie.
  'Mutation.verifySecondFactor', 'Mutation.startPasskeyLogin', 'Mutation.verifyPasskeyLogin',
]);

/**
 * Operations a physician must be refused (FORBIDDEN). Listed by hand *and* derived (see
 * `physicianForbiddenOperations`), so neither a forgotten list entry nor a forgotten decorator
 * goes unnoticed.
 */
export const ADMIN_OPERATIONS = new Set([
  'Query.accountRequests', 'Mutation.approveAccountRequest', 'Mutation.rejectAccountRequest',
  'Query.facilities', 'Mutation.createFacility', 'Mutation.createApiKey', 'Mutation.revokeApiKey',
  'Query.users', 'Mutation.unlockUser', 'Mutation.disableUser', 'Mutation.enableUser', 'Mutation.resetSecondFactor',
]);

/** The committed SDL, parsed: the test covers what clients see, including fields added later. */
export function committedSchema(): GraphQLSchema {
  return buildSchema(readFileSync(path.join(repoRoot, 'schema.graphql'), 'utf8'));
}

export interface Operation {
  /** `Query.me`, `Mutation.login`… */
  name: string;
  kind: 'query' | 'mutation' | 'subscription';
  field: GraphQLField<unknown, unknown>;
  document: string;
  variables: Record<string, unknown>;
}

/** Every root field of the schema as a runnable operation with dummy arguments. */
export function allOperations(schema: GraphQLSchema): Operation[] {
  const roots = [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
    ['subscription', schema.getSubscriptionType()],
  ] as const;
  const ops: Operation[] = [];
  for (const [kind, type] of roots) {
    if (!type) continue;
    for (const field of Object.values(type.getFields())) {
      ops.push(operationFor(kind, `${type.name}.${field.name}`, field));
    }
  }
  return ops;
}

function operationFor(kind: Operation['kind'], name: string, field: GraphQLField<unknown, unknown>): Operation {
  const variables: Record<string, unknown> = {};
  const decls: string[] = [];
  const args: string[] = [];
  field.args.forEach((arg: GraphQLArgument, i) => {
    // Optional arguments are left out: the smallest call that the schema accepts.
    if (!isNonNullType(arg.type)) return;
    decls.push(`$a${i}: ${String(arg.type)}`);
    args.push(`${arg.name}: $a${i}`);
    variables[`a${i}`] = dummyValue(arg.type);
  });
  const named = getNamedType(field.type);
  const selection = isScalarType(named) || isEnumType(named) ? '' : ' { __typename }';
  const opName = name.replace('.', '_');
  const document = `${kind} ${opName}${decls.length ? `(${decls.join(', ')})` : ''} { ${field.name}${args.length ? `(${args.join(', ')})` : ''}${selection} }`;
  return { name, kind, field, document, variables };
}

const SCALAR_DUMMIES: Record<string, unknown> = {
  ID: '00000000-0000-4000-8000-000000000000',
  String: 'x',
  Int: 1,
  Float: 1,
  Boolean: true,
  DateTimeISO: '2026-01-01T00:00:00.000Z',
  DateTime: '2026-01-01T00:00:00.000Z',
  Date: '2026-01-01',
  JSON: {},
  JSONObject: {},
};

function dummyValue(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return dummyValue(type.ofType);
  if (isListType(type)) return [dummyValue(type.ofType)];
  if (isEnumType(type)) return type.getValues()[0]?.value;
  if (isInputObjectType(type)) {
    const out: Record<string, unknown> = {};
    for (const f of Object.values(type.getFields())) out[f.name] = dummyValue(f.type);
    return out;
  }
  if (isScalarType(type)) {
    if (!(type.name in SCALAR_DUMMIES)) throw new Error(`No dummy value for scalar ${type.name}: add one to SCALAR_DUMMIES`);
    return SCALAR_DUMMIES[type.name];
  }
  throw new Error(`Unexpected input type ${String(type)}`);
}

/**
 * Root fields whose `@Authorized(...)` roles leave physicians out (ADMIN, ANALYST, FACILITY,
 * SHARE…), read from type-graphql's metadata of the running code, plus the hand-kept list.
 */
export function physicianForbiddenOperations(): Set<string> {
  const storage = getMetadataStorage();
  const out = new Set(ADMIN_OPERATIONS);
  const roots = [
    ['Query', storage.queries],
    ['Mutation', storage.mutations],
    ['Subscription', storage.subscriptions],
  ] as const;
  for (const [root, defs] of roots) {
    for (const def of defs) {
      const auth = storage.authorizedFields.find((a) => a.target === def.target && a.fieldName === def.methodName);
      if (auth && auth.roles.length > 0 && !auth.roles.includes('PHYSICIAN')) out.add(`${root}.${def.schemaName}`);
    }
  }
  return out;
}
