import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ALIASES, MAX_COMPLEXITY, MAX_DEPTH } from '../../src/graphql/limits.js';
import { Role } from '../../src/modules/auth/user.entity.js';
import { errorCode, startTestServer, type GqlClient, type TestServer } from '../harness.js';

/*
 * The playground lets anyone signed in type any query: the server protects itself with limits,
 * each refusal naming the limit it hit (extensions: code, limit, value, max).
 */

const MAX_BODY = 20_000;

async function post(client: GqlClient, body: string, headers: Record<string, string> = {}) {
  const res = await client.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, body: (await res.json()) as { errors?: Array<{ message: string; extensions?: Record<string, unknown> }>; data?: unknown } };
}

describe('limits on every GraphQL operation (depth, cost, aliases, batches, size)', () => {
  let t: TestServer;
  let analyst: GqlClient;
  beforeAll(async () => {
    t = await startTestServer({ MAX_GRAPHQL_BODY_BYTES: String(MAX_BODY) });
    analyst = (await t.login(Role.ANALYST)).client;
  });
  afterAll(() => t?.stop());

  it('refuses a query nested deeper than the maximum, naming the depth limit', async () => {
    // Exam.documents and Document.exam point at each other: any depth can be asked for.
    const nested = (n: number): string => (n <= 1 ? 'id' : n % 2 === 0 ? `documents { ${nested(n - 1)} }` : `exam { ${nested(n - 1)} }`);
    const r = await analyst.query(`query Deep { exam(id: "00000000-0000-4000-8000-000000000000") { ${nested(MAX_DEPTH)} } }`);
    expect(r.status).toBe(400);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'depth', value: MAX_DEPTH + 1, max: MAX_DEPTH });
    expect(r.errors?.[0]?.message).toMatch(/depth/i);
    expect(r.data ?? null).toBeNull();
  });

  it('refuses a costly query (nested lists with a big `first`), naming the complexity limit', async () => {
    const r = await analyst.query(`{ patients(first: 1000) { edges { node { id exams { id documents { id } } } } } }`);
    expect(r.status).toBe(400);
    expect(errorCode(r)).toBe('QUERY_TOO_COMPLEX');
    expect(r.errors?.[0]?.extensions).toMatchObject({ limit: 'complexity', max: MAX_COMPLEXITY });
    expect(r.errors?.[0]?.extensions?.value as number).toBeGreaterThan(MAX_COMPLEXITY);
  });

  it('refuses too many aliases, naming the alias limit', async () => {
    const aliases = Array.from({ length: MAX_ALIASES + 1 }, (_, i) => `a${i}: stats { from }`).join(' ');
    const r = await analyst.query(`{ ${aliases} }`);
    expect(r.status).toBe(400);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'aliases', value: MAX_ALIASES + 1, max: MAX_ALIASES });
  });

  it('refuses a batch (an array of operations) with a clear error', async () => {
    const r = await post(analyst, JSON.stringify([{ query: '{ me { id } }' }, { query: '{ me { id } }' }]));
    expect(r.status).toBe(400);
    expect(r.body.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'batch', max: 1 });
    expect(r.body.errors?.[0]?.message).toMatch(/batch/i);
  });

  it('refuses an oversized body with 413 and a JSON error naming the size limit', async () => {
    const big = JSON.stringify({ query: `{ me { id } }`, variables: { pad: 'x'.repeat(MAX_BODY) } });
    const r = await post(analyst, big);
    expect(r.status).toBe(413);
    expect(r.body.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'bodyBytes', max: MAX_BODY });
    expect(r.body.errors?.[0]?.message).toMatch(/bytes/);
  });

  it('accepts an ordinary analyst query under every limit', async () => {
    const r = await analyst.query(`{ stats { from examsPublished { period exams { value suppressed } } } }`);
    expect(r.errors).toBeUndefined();
  });

  it('allows introspection to anyone outside production (the test server is NODE_ENV=test)', async () => {
    const r = await t.client().query(`{ __schema { queryType { name } } }`);
    expect(r.errors).toBeUndefined();
  });
});

describe('introspection in production', () => {
  let t: TestServer;
  beforeAll(async () => {
    // What production requires beyond the harness (docs/adr/0093); the harness's relay is on loopback.
    t = await startTestServer({ NODE_ENV: 'production', PUBLIC_URL: 'https://portal.e-mage.test', TRUST_PROXY: '0', SMTP_ALLOW_PLAINTEXT: 'true' });
  });
  afterAll(() => t?.stop());

  it.each([
    ['__schema', `{ __schema { types { name } } }`],
    ['__type', `{ __type(name: "Query") { fields { name } } }`],
    ['__schema in a fragment', `query { ...F } fragment F on Query { __schema { queryType { name } } }`],
  ])('refuses %s to an anonymous caller with a clear error', async (_label, query) => {
    const r = await t.client().query(query);
    expect(errorCode(r)).toBe('UNAUTHENTICATED');
    expect(r.errors?.[0]?.extensions).toMatchObject({ limit: 'introspection' });
    expect(r.errors?.[0]?.message).toMatch(/introspection/i);
    expect(r.data ?? null).toBeNull();
  });

  it('still answers __typename and public operations to an anonymous caller', async () => {
    const r = await t.client().query(`{ __typename me { id } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ __typename: 'Query', me: null });
  });

  it('allows introspection to a signed-in user (the playground documentation explorer)', async () => {
    const { client } = await t.login(Role.ANALYST);
    const r = await client.query(`{ __schema { queryType { name } } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });
});
