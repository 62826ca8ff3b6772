/**
 * OpenTelemetry traces (issue 21, ADR 0122): off by default; on, a request's spans reach an
 * OTLP/HTTP collector (here a receiver of our own on loopback, reading the JSON export) and the
 * request's log line carries the same trace id.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/infra/logger.js';
import { Role } from '../../src/modules/auth/user.entity.js';
import { GqlClient, startTestServer, TEST_PASSWORD, type TestServer } from '../harness.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
}

/** A collector's OTLP/HTTP traces endpoint, keeping every span it is sent. */
async function otlpReceiver(): Promise<{ url: string; spans: OtlpSpan[]; posts: string[]; close(): Promise<void> }> {
  const spans: OtlpSpan[] = [];
  const posts: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      posts.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      const doc = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
      for (const rs of doc.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    posts,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function logLines(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const ME = 'query WhoAmI { me { id } }';
const SIGN_IN = 'mutation SignIn($e: String!, $p: String!) { login(email: $e, password: $p) { id } }';

describe('OpenTelemetry traces', () => {
  it('are configured by OTEL_TRACES or OTEL_EXPORTER_OTLP_ENDPOINT, and off without either', () => {
    expect(loadConfig({}).tracing).toBeUndefined();
    expect(loadConfig({ OTEL_TRACES: '1' }).tracing).toEqual({ endpoint: 'http://localhost:4318', serviceName: 'e-mage' });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SERVICE_NAME: 'e-mage-metz' }).tracing).toEqual({ endpoint: 'http://collector:4318', serviceName: 'e-mage-metz' });
    expect(loadConfig({ OTEL_TRACES: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing).toBeUndefined();
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });

  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
  beforeAll(async () => {
    receiver = await otlpReceiver();
  });
  afterAll(() => receiver?.close());

  it('are off by default: nothing is exported and log lines carry no trace id', async () => {
    const log = logLines();
    const t: TestServer = await startTestServer({ LOG_LEVEL: 'debug' }, { logger: createLogger('debug', log.stream) });
    try {
      const { client } = await t.login(Role.PHYSICIAN);
      await client.mustQuery(ME);
    } finally {
      await t.stop();
    }
    expect(receiver.posts).toEqual([]);
    // No tracer provider was registered: the SDK was never started (its API's global is unset).
    expect((globalThis as Record<symbol, unknown>)[Symbol.for('opentelemetry.js.api.1')]).toBeUndefined();
    const requests = log.lines().filter((l) => l.msg === 'request');
    expect(requests.length).toBeGreaterThan(0);
    for (const l of requests) expect(l).not.toHaveProperty('trace_id');
  });

  it('on, a GraphQL request is one trace: its HTTP span, the operation and the SQL under it, and its log line names the trace', async () => {
    const log = logLines();
    const t: TestServer = await startTestServer(
      { LOG_LEVEL: 'debug', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
      { logger: createLogger('debug', log.stream) },
    );
    const { email } = await t.login(Role.PHYSICIAN);
    const client = new GqlClient(t.url);
    const res = await client.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: SIGN_IN, operationName: 'SignIn', variables: { e: email, p: TEST_PASSWORD } }),
    });
    expect(res.status).toBe(200);
    expect((globalThis as Record<symbol, unknown>)[Symbol.for('opentelemetry.js.api.1')]).toBeDefined();
    expect(((await res.json()) as { data?: { login?: unknown } }).data?.login).toBeTruthy();
    // Stopping flushes the spans still buffered.
    await t.stop();

    expect(receiver.posts[0]).toMatch(/^POST \/v1\/traces application\/json/);
    const graphqlSpan = receiver.spans.find((s) => s.name === 'graphql mutation SignIn');
    expect(graphqlSpan, receiver.spans.map((s) => s.name).join(', ')).toBeDefined();
    const trace = receiver.spans.filter((s) => s.traceId === graphqlSpan!.traceId);
    const httpSpan = trace.find((s) => s.name === 'POST /graphql');
    expect(httpSpan?.kind).toBe(2); // SERVER
    expect(graphqlSpan!.parentSpanId).toBe(httpSpan!.spanId);
    // The account's lookup and the new session, under the request: a statement's verb only, never
    // its text or values.
    const db = trace.filter((s) => s.name.startsWith('db '));
    expect(db.length, trace.map((s) => s.name).join(', ') + ' / all: ' + receiver.spans.map((s) => s.name).join(', ')).toBeGreaterThan(0);
    expect(db.map((s) => s.name)).toEqual(expect.arrayContaining(['db select', 'db insert']));
    for (const s of trace) expect(JSON.stringify(s.attributes)).not.toMatch(/from\s|where\s|@test\.e-mage\.fr/i);

    const line = log.lines().find((l) => l.msg === 'request' && l.path === '/graphql' && l.trace_id === httpSpan!.traceId);
    expect(line, 'the request log line carries the trace id').toBeDefined();
    expect(line!.span_id).toBe(httpSpan!.spanId);
  });
});
