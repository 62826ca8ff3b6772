/**
 * GraphQL's fast path (graphql/graphql-fast-path.ts, ADR 0143) answers a JSON POST of /graphql
 * before Express: these specs pin that its answers are Express's (status, body, headers but the
 * ETag that Express's res.send adds and that tells the two apart here), its refusals included,
 * that its cookies are written as Express wrote them, that it counts in the request metrics, and
 * that what it does not take reaches Express (a query string, another content type, a chunked
 * body).
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../src/infra/metrics/metrics.js';
import { Role } from '../../src/modules/auth/user.entity.js';
import { TEST_PASSWORD, startTestServer, type TestServer } from '../harness.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[]>;
  text: string;
}

/** A POST of /graphql with node:http, so that the body's framing (length or chunked) is ours to choose. */
function post(url: string, path: string, body: string | Buffer, headers: Record<string, string>, chunked = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    const req = http.request(url + path, { method: 'POST', headers: { ...headers, ...(chunked ? {} : { 'content-length': String(data.length) }) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string | string[]>, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (chunked) {
      // Two writes without a length: Node sends the body chunked.
      req.write(data.subarray(0, 1));
      req.end(data.subarray(1));
    } else req.end(data);
  });
}

/** The headers two answers must share: all but the date, the ETag, the length and the cookies' values and dates. */
function comparable(a: Answer): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a.headers)) {
    if (['date', 'etag', 'content-length', 'keep-alive', 'connection'].includes(k)) continue;
    out[k] = k === 'set-cookie' ? (v as string[]).map((c) => c.replace(/=[^;]*/, '=…').replace(/Expires=[^;]*/, 'Expires=…')) : v;
  }
  return out;
}

async function metricValue(name: string, labels: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const found = values.find((v) => (v as { metricName?: string }).metricName === `${name}_count` && Object.entries(labels).every(([k, x]) => v.labels[k] === x));
  return found?.value ?? 0;
}

describe('GraphQL over HTTP: the fast path answers as Express does', () => {
  let t: TestServer;
  const JSON_TYPE = { 'content-type': 'application/json' };

  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t?.stop());

  /** The same request through the fast path and through Express (a query string sends it there). */
  const both = async (body: string | Buffer, headers: Record<string, string> = JSON_TYPE) => {
    const fast = await post(t.url, '/graphql', body, headers);
    const viaExpress = await post(t.url, '/graphql?via=express', body, headers);
    expect(fast.headers.etag, 'the fast path answered').toBeUndefined();
    expect(viaExpress.headers.etag, 'Express answered').toBeDefined();
    return { fast, viaExpress };
  };

  it('answers a physician’s query with the same status, body and headers (security headers, no-store)', async () => {
    const { client } = await t.login(Role.PHYSICIAN);
    const headers = { ...JSON_TYPE, cookie: client.cookieHeader() };
    const { fast, viaExpress } = await both(JSON.stringify({ query: '{ me { email role } patients(first: 3) { edges { node { id } } } }' }), headers);
    expect(fast.status).toBe(200);
    expect(JSON.parse(fast.text)).toEqual(JSON.parse(viaExpress.text));
    expect(JSON.parse(fast.text).data.me.role).toBe('PHYSICIAN');
    expect(comparable(fast)).toEqual(comparable(viaExpress));
    expect(fast.headers['cache-control']).toBe('no-store');
    expect(fast.headers['content-security-policy']).toContain("default-src 'self'");
    expect(Number(fast.headers['content-length'])).toBe(Buffer.byteLength(fast.text));
  });

  it('logs in with the same cookies, and logs out clearing them the same way', async () => {
    const { email } = await t.login(Role.PHYSICIAN);
    const login = JSON.stringify({ query: 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { id } }', variables: { e: email, p: TEST_PASSWORD } });
    const { fast, viaExpress } = await both(login);
    expect(JSON.parse(fast.text).data.login.id).toBeTruthy();
    expect(comparable(fast)).toEqual(comparable(viaExpress));
    const cookies = fast.headers['set-cookie'] as string[];
    expect(cookies.find((c) => c.startsWith('emage_session='))).toMatch(/; Max-Age=\d+; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/);

    const cookieOf = (a: Answer) => (a.headers['set-cookie'] as string[]).map((c) => c.split(';')[0]).join('; ');
    const logout = JSON.stringify({ query: 'mutation { logout }' });
    const out = await post(t.url, '/graphql', logout, { ...JSON_TYPE, cookie: cookieOf(fast) });
    const outExpress = await post(t.url, '/graphql?via=express', logout, { ...JSON_TYPE, cookie: cookieOf(viaExpress) });
    expect(out.headers.etag).toBeUndefined();
    expect(comparable(out)).toEqual(comparable(outExpress));
    expect((out.headers['set-cookie'] as string[]).find((c) => c.startsWith('emage_session='))).toMatch(/^emage_session=; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax$/);
  });

  it('refuses what Express refuses, with the same answers: bad JSON, a bare value, a batch, a document over the limits, no query', async () => {
    const cases: Array<[string, string | Buffer, number]> = [
      ['not JSON', '{"query": ', 400],
      ['a bare JSON value', '42', 400],
      ['a batch', JSON.stringify([{ query: '{ me { id } }' }, { query: '{ me { id } }' }]), 400],
      ['too many aliases', JSON.stringify({ query: `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: __typename`).join(' ')} }` }), 400],
      ['no query', JSON.stringify({ variables: {} }), 400],
      ['an empty body', '', 400],
    ];
    for (const [name, body, status] of cases) {
      const { fast, viaExpress } = await both(body);
      expect(fast.status, name).toBe(status);
      expect(viaExpress.status, name).toBe(status);
      expect(JSON.parse(fast.text), name).toEqual(JSON.parse(viaExpress.text));
      expect(comparable(fast), name).toEqual(comparable(viaExpress));
    }
  });

  it('reads a UTF-8 body with a byte order mark, and non-ASCII variables, as Express does', async () => {
    const { client } = await t.login(Role.PHYSICIAN);
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ query: 'query($n: String) { patients(filter: { name: $n }, first: 1) { edges { node { id } } } }', variables: { n: 'Hélène' } }))]);
    const { fast, viaExpress } = await both(body, { ...JSON_TYPE, cookie: client.cookieHeader() });
    expect(fast.status).toBe(200);
    expect(JSON.parse(fast.text)).toEqual(JSON.parse(viaExpress.text));
  });

  it('leaves to Express a chunked body, another content type, and a body over the limit (its 413)', async () => {
    const query = JSON.stringify({ query: '{ __typename }' });
    const chunked = await post(t.url, '/graphql', query, JSON_TYPE, true);
    expect(chunked.status).toBe(200);
    expect(chunked.headers.etag).toBeDefined();
    const text = await post(t.url, '/graphql', query, { 'content-type': 'text/plain' });
    expect(text.headers.etag).toBeDefined();
    expect(text.status).toBe(400); // Apollo's CSRF prevention, as before
    const big = await post(t.url, '/graphql', JSON.stringify({ query: '{ __typename }', pad: 'x'.repeat(t.deps.config.maxGraphqlBodyBytes) }), JSON_TYPE);
    expect(big.status).toBe(413);
    expect(JSON.parse(big.text).errors[0].extensions).toMatchObject({ limit: 'bodyBytes' });
  });

  it('counts its answers in the request metrics, as Express’s stack does', async () => {
    const labels = { route: 'graphql', method: 'POST', status: '2xx' };
    const before = await metricValue('emage_http_request_duration_seconds', labels);
    for (let i = 0; i < 3; i++) expect((await post(t.url, '/graphql', JSON.stringify({ query: '{ __typename }' }), JSON_TYPE)).headers.etag).toBeUndefined();
    await new Promise((r) => setTimeout(r, 50));
    expect(await metricValue('emage_http_request_duration_seconds', labels)).toBe(before + 3);
  });
});
