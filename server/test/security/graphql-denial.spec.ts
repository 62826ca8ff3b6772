import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { errorCode, startTestServer, type GqlClient, type TestServer } from '../harness.js';
import { openSocket } from './ws.js';
import { ADMIN_OPERATIONS, PUBLIC_OPERATIONS, allOperations, committedSchema, physicianForbiddenOperations } from './operations.js';

// Generated from the committed schema.graphql: a field someone adds later is covered without
// anyone editing this file.
const schema = committedSchema();
const operations = allOperations(schema);
const overHttp = operations.filter((op) => op.kind !== 'subscription');
const guarded = overHttp.filter((op) => !PUBLIC_OPERATIONS.has(op.name));

describe('denial matrix generated from schema.graphql', () => {
  let t: TestServer;
  let physician: GqlClient;
  let analyst: GqlClient;
  beforeAll(async () => {
    t = await startTestServer();
    physician = (await t.login(Role.PHYSICIAN)).client;
    analyst = (await t.login(Role.ANALYST)).client;
  });
  afterAll(() => t?.stop());

  it('the allow-list and the admin list name fields that exist', () => {
    const names = new Set(operations.map((op) => op.name));
    for (const name of [...PUBLIC_OPERATIONS, ...ADMIN_OPERATIONS]) expect(names, name).toContain(name);
    expect(guarded.length).toBeGreaterThan(0);
  });

  it.each(guarded.map((op) => [op.name, op] as const))('%s answers UNAUTHENTICATED without a session', async (_name, op) => {
    const r = await t.client().query(op.document, op.variables);
    expect(r.errors, JSON.stringify(r)).toBeDefined();
    expect(errorCode(r), JSON.stringify(r.errors)).toBe('UNAUTHENTICATED');
    expect(r.data?.[op.field.name] ?? null).toBeNull();
  });

  const forbidden = physicianForbiddenOperations();
  const forPhysician = overHttp.filter((op) => forbidden.has(op.name));
  it.each(forPhysician.map((op) => [op.name, op] as const))('%s answers FORBIDDEN to a physician', async (_name, op) => {
    const r = await physician.query(op.document, op.variables);
    expect(errorCode(r), JSON.stringify(r.errors)).toBe('FORBIDDEN');
    expect(r.data?.[op.field.name] ?? null).toBeNull();
  });

  const adminOnly = overHttp.filter((op) => ADMIN_OPERATIONS.has(op.name));
  it.each(adminOnly.map((op) => [op.name, op] as const))('%s answers FORBIDDEN to an analyst', async (_name, op) => {
    const r = await analyst.query(op.document, op.variables);
    expect(errorCode(r), JSON.stringify(r.errors)).toBe('FORBIDDEN');
  });

  it('every admin operation is in the physician-forbidden set (list and decorators agree)', () => {
    expect(forPhysician.map((op) => op.name)).toEqual(expect.arrayContaining([...ADMIN_OPERATIONS]));
  });

  it('a WebSocket without a session is closed before any subscription (4403)', async () => {
    const socket = openSocket(t.url);
    const code = await socket.closed;
    await socket.client.dispose();
    expect(code).toBe(4403);
  });
});
