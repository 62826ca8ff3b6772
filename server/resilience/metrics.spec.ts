/**
 * Prometheus metrics (issue 21, ADR 0111) on the built server: served by their own listener
 * (METRICS_PORT, loopback) and never on the public port; each metric the operator relies on is
 * present and moves when what it measures happens: a failed sign-in and a lock, a GraphQL
 * operation, a DICOMweb store and read, a subscription opened, a mail queued, pool connections
 * held; no label carries a path's UID.
 */
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rppsWithCheckDigit } from '../src/common/identifiers.js';
import { freePort, freshDatabase, startBuiltServer, type BuiltServer, type FreshDatabase } from './support/built-server.js';
import { publishNewExam } from './support/db-faults.js';
import { rawSocket } from './support/graphql-abuse.js';
import { scrape, scrapeUntil } from './support/metrics.js';
import { createFacilityKey, createUser, gql, login } from './support/portal.js';

const PASSWORD = 'Correct-horse-battery-42';
const RPPS = rppsWithCheckDigit('1000000456');
const PHYSICIAN = 'metrics@example.org';

describe('Prometheus metrics on the built server', () => {
  let db: FreshDatabase;
  let server: BuiltServer;
  let metricsUrl: string;
  let facilityKey: string;
  let cookie: string;

  beforeAll(async () => {
    db = await freshDatabase();
    await Promise.all([
      createUser(db.url, { email: PHYSICIAN, role: 'PHYSICIAN', rpps: RPPS, password: PASSWORD }),
      createUser(db.url, { email: 'locked@example.org', role: 'PHYSICIAN', rpps: rppsWithCheckDigit('1000000789'), password: PASSWORD }),
    ]);
    facilityKey = await createFacilityKey(db.url);
    const metricsPort = await freePort();
    // Nothing listens on the relay's port: queued mails stay pending, as behind a relay that is down.
    const deadRelay = await freePort();
    server = await startBuiltServer({
      DATABASE_URL: db.url,
      METRICS_PORT: String(metricsPort),
      SMTP_URL: `smtp://127.0.0.1:${deadRelay}`,
      SMTP_ALLOW_PLAINTEXT: 'true',
      MAIL_RETRY_BASE_SECONDS: '60',
      RATE_LIMIT_SCALE: '100',
    });
    metricsUrl = `http://127.0.0.1:${metricsPort}`;
    cookie = await login(server.url, PHYSICIAN, PASSWORD);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('is served on its own loopback listener only: /metrics on the public port is a 404', async () => {
    // As a scraper asks, and as a browser does (which gets the shell's page on other unknown paths).
    for (const accept of ['text/plain', 'text/html']) {
      const pub = await fetch(`${server.url}/metrics`, { headers: { accept } });
      expect(pub.status, accept).toBe(404);
      expect(await pub.text()).not.toContain('emage_');
    }
    const res = await fetch(`${metricsUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect((await fetch(`${metricsUrl}/graphql`)).status).toBe(404);
    const s = await scrape(metricsUrl);
    for (const name of ['emage_process_cpu_user_seconds_total', 'emage_process_resident_memory_bytes', 'emage_nodejs_eventloop_lag_seconds', 'emage_nodejs_heap_size_used_bytes']) {
      expect(s.has(name), name).toBe(true);
    }
  });

  it('failed sign-ins and locks are counted where the auth service records them', async () => {
    const before = await scrape(metricsUrl);
    const bad = before.value('emage_login_failures_total', { reason: 'bad_credentials' }) ?? 0;
    const locked = before.value('emage_login_failures_total', { reason: 'locked' }) ?? 0;
    const locks = before.value('emage_login_locks_total', { scope: 'CLIENT' }) ?? 0;
    const attempt = () => gql(server.url, 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { id } }', { e: 'locked@example.org', p: 'wrong-password-1' });
    const codes: Array<string | undefined> = [];
    for (let i = 0; i < 4; i++) codes.push((await attempt()).body.errors?.[0]?.extensions?.code);
    expect(codes).toEqual(['INVALID_CREDENTIALS', 'INVALID_CREDENTIALS', 'ACCOUNT_LOCKED', 'ACCOUNT_LOCKED']);
    const after = await scrape(metricsUrl);
    expect(after.value('emage_login_failures_total', { reason: 'bad_credentials' })).toBe(bad + 3);
    expect(after.value('emage_login_failures_total', { reason: 'locked' })).toBe(locked + 1);
    expect(after.value('emage_login_locks_total', { scope: 'CLIENT' })).toBe(locks + 1);
  });

  it('HTTP latency per surface and GraphQL latency per operation name', async () => {
    const labels = { operation: 'MetricsProbe', type: 'query', outcome: 'ok' };
    const before = await scrape(metricsUrl);
    const http = { route: 'graphql', method: 'POST', status: '2xx' };
    const httpCount = before.value('emage_http_request_duration_seconds_count', http) ?? 0;
    for (let i = 0; i < 3; i++) expect((await gql(server.url, 'query MetricsProbe { me { id } }', {}, cookie)).status).toBe(200);
    const after = await scrape(metricsUrl);
    expect(after.value('emage_graphql_operation_duration_seconds_count', labels)).toBe((before.value('emage_graphql_operation_duration_seconds_count', labels) ?? 0) + 3);
    expect(after.value('emage_graphql_operation_duration_seconds_sum', labels)).toBeGreaterThan(before.value('emage_graphql_operation_duration_seconds_sum', labels) ?? 0);
    expect(after.value('emage_http_request_duration_seconds_count', http)).toBeGreaterThanOrEqual(httpCount + 3);
    // A name nobody ships is still counted, under a label of the bounded set.
    expect(await gql(server.url, 'query { me { id } }', {}, cookie)).toMatchObject({ status: 200 });
    expect((await scrape(metricsUrl)).value('emage_graphql_operation_duration_seconds_count', { operation: 'anonymous', type: 'query', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
  });

  it('DICOMweb bytes and latency per route, with no UID in any label', async () => {
    const before = await scrape(metricsUrl);
    await publishNewExam(server.url, facilityKey, RPPS);
    const res = await fetch(`${server.url}/dicomweb/studies`, { headers: { cookie, accept: 'application/dicom+json' } });
    expect(res.status).toBe(200);
    const studies = (await res.json()) as Array<Record<string, { Value?: string[] }>>;
    const uid = studies[0]?.['0020000D']?.Value?.[0];
    expect(uid).toBeTruthy();
    const after = await scrape(metricsUrl);
    const moved = (name: string, labels: Record<string, string>) => (after.value(name, labels) ?? 0) - (before.value(name, labels) ?? 0);
    expect(moved('emage_dicomweb_request_bytes_total', { route: 'stow' })).toBeGreaterThan(500);
    expect(moved('emage_dicomweb_response_bytes_total', { route: 'search' })).toBeGreaterThan(100);
    expect(moved('emage_dicomweb_request_duration_seconds_count', { route: 'search', status: '2xx' })).toBe(1);
    expect(moved('emage_dicomweb_request_duration_seconds_count', { route: 'stow', status: '2xx' })).toBe(1);
    expect(after.text).not.toContain(uid!);
    expect(after.text).not.toMatch(/route="[^"]*\//);
  });

  it('counts the bytes of a request the socket read whole before any handler ran', async () => {
    // A client that writes its request in one go (headers and a small body arrive in one read):
    // the count must not start from what the socket had already read when the handler ran.
    const before = await scrape(metricsUrl);
    const { hostname, port } = new URL(server.url);
    const request = `GET /dicomweb/studies?PatientID=nobody HTTP/1.1\r\nHost: ${hostname}:${port}\r\nCookie: ${cookie}\r\nAccept: application/dicom+json\r\nX-Padding: ${'p'.repeat(400)}\r\nConnection: close\r\n\r\n`;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), hostname, () => socket.write(request));
      let text = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 20[04]/);
    const after = await scrape(metricsUrl);
    const moved = (after.value('emage_dicomweb_request_bytes_total', { route: 'search' }) ?? 0) - (before.value('emage_dicomweb_request_bytes_total', { route: 'search' }) ?? 0);
    expect(moved).toBe(Buffer.byteLength(request, 'latin1'));
  });

  it('open WebSocket connections and subscriptions', async () => {
    const before = await scrape(metricsUrl);
    expect(before.value('emage_graphql_subscriptions')).toBe(0);
    const socket = await rawSocket(server.url, cookie);
    try {
      void socket.send('subscription { unreadNotificationCount }');
      const open = await scrapeUntil(metricsUrl, (s) => s.value('emage_graphql_subscriptions') === 1);
      expect(open.value('emage_graphql_subscriptions')).toBe(1);
      expect(open.value('emage_graphql_ws_connections')).toBe(1);
    } finally {
      socket.close();
    }
    const closed = await scrapeUntil(metricsUrl, (s) => s.value('emage_graphql_ws_connections') === 0);
    expect(closed.value('emage_graphql_ws_connections')).toBe(0);
    expect(closed.value('emage_graphql_subscriptions')).toBe(0);
  });

  it('outbox depth and the age of its oldest pending mail', async () => {
    const before = await scrape(metricsUrl);
    const depth = before.value('emage_outbox_pending') ?? -1;
    expect(depth).toBeGreaterThanOrEqual(0);
    expect((await gql(server.url, 'mutation($e: String!) { requestPasswordReset(email: $e) }', { e: PHYSICIAN })).body.data).toEqual({ requestPasswordReset: true });
    const queued = await scrapeUntil(metricsUrl, (s) => (s.value('emage_outbox_pending') ?? 0) > depth);
    expect(queued.value('emage_outbox_pending')).toBe(depth + 1);
    const first = queued.value('emage_outbox_oldest_pending_seconds') ?? 0;
    const older = await scrapeUntil(metricsUrl, (s) => (s.value('emage_outbox_oldest_pending_seconds') ?? 0) > first + 0.2);
    expect(older.value('emage_outbox_oldest_pending_seconds')).toBeGreaterThan(first + 0.2);
  });

  it('a scrape does not hang on the outbox: figures it cannot get in time read NaN, the rest still comes', async () => {
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      await admin.query('begin');
      await admin.query('lock table outbox_message in access exclusive mode');
      const t0 = performance.now();
      const s = await scrape(metricsUrl);
      expect(performance.now() - t0).toBeLessThan(5_000);
      expect(s.value('emage_outbox_pending')).toBeNaN();
      expect(s.value('emage_outbox_oldest_pending_seconds')).toBeNaN();
      expect(Number.isFinite(s.value('emage_db_pool_connections', { state: 'free' }))).toBe(true);
      expect(s.has('emage_process_cpu_user_seconds_total')).toBe(true);
    } finally {
      await admin.query('rollback').catch(() => undefined);
      await admin.end();
    }
    expect((await scrapeUntil(metricsUrl, (s) => Number.isFinite(s.value('emage_outbox_pending')))).value('emage_outbox_pending')).toBeGreaterThanOrEqual(0);
  });

  it('database pool usage: connections held by requests show as used, and come back', async () => {
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    const held: Array<Promise<unknown>> = [];
    try {
      // Requests that reach a locked table wait there holding a pool connection each.
      await admin.query('begin');
      await admin.query('lock table app_user in access exclusive mode');
      for (let i = 0; i < 3; i++) held.push(gql(server.url, 'query { me { id } }', {}, cookie));
      const busy = await scrapeUntil(metricsUrl, (s) => (s.value('emage_db_pool_connections', { state: 'used' }) ?? 0) >= 3);
      expect(busy.value('emage_db_pool_connections', { state: 'used' })).toBeGreaterThanOrEqual(3);
      await admin.query('commit');
      await Promise.all(held);
      const idle = await scrapeUntil(metricsUrl, (s) => (s.value('emage_db_pool_connections', { state: 'used' }) ?? 9) <= 1);
      expect(idle.value('emage_db_pool_connections', { state: 'used' })).toBeLessThanOrEqual(1);
      expect(idle.value('emage_db_pool_connections', { state: 'free' })).toBeGreaterThanOrEqual(2);
      expect(idle.value('emage_db_pool_connections', { state: 'pending' })).toBe(0);
    } finally {
      await admin.query('rollback').catch(() => undefined);
      await admin.end();
    }
  });
});
