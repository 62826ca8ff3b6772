/**
 * Graceful shutdown of the built server (issue 21 "Deploys without downtime", ADR 0112): on
 * SIGTERM it stops accepting connections at once, closes every WebSocket with 1012 Service
 * Restart (the shell reconnects on it; 4401 stays the code of an ended session), lets a request
 * in flight finish within SHUTDOWN_DRAIN_SECONDS (25 s by default, longer than the 10 s Apollo's
 * drain gave before), lets a mail being sent reach the relay and be recorded, and exits 0;
 * past the bound, what is left is cut and it still exits 0.
 */
import http from 'node:http';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { rppsWithCheckDigit } from '../src/common/identifiers.js';
import { freshDatabase, startBuiltServer, type BuiltServer, type FreshDatabase } from './support/built-server.js';
import { createUser, gql, login } from './support/portal.js';
import { startFaultyRelay } from './support/smtp-faults.js';

const PASSWORD = 'Correct-horse-battery-42';
const EMAIL = 'shutdown@example.org';

/** A POST /graphql whose body arrives in two parts: in flight on the server between them. */
function slowRequest(baseUrl: string, cookie: string): { sendRest(): void; answer: Promise<{ status: number; connection: string | undefined; body: string }> } {
  const body = Buffer.from(JSON.stringify({ query: 'query SlowProbe { me { id } }' }));
  const half = Math.floor(body.length / 2);
  const req = http.request(`${baseUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length, cookie } });
  const answer = new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: text }));
    });
    req.on('error', reject);
  });
  req.flushHeaders();
  req.write(body.subarray(0, half));
  return { sendRest: () => req.end(body.subarray(half)), answer };
}

/** A graphql-transport-ws client with one subscription open; `closed` gives the server's close code and reason. */
async function liveSocket(baseUrl: string, cookie: string): Promise<{ closed: Promise<{ code: number; reason: string; at: number }> }> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws', { headers: { cookie }, origin: baseUrl });
  ws.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString(), at: performance.now() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => ws.send(JSON.stringify({ type: 'connection_init' })));
    ws.once('close', (code) => reject(new Error(`closed before acknowledgement (${code})`)));
    ws.on('message', (raw: Buffer) => {
      const msg = JSON.parse(raw.toString()) as { type: string };
      if (msg.type === 'connection_ack') {
        ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { unreadNotificationCount }' } }));
        resolve();
      } else if (msg.type === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
    });
  });
  return { closed };
}

/** Whether the request reached the server: a connection refused (or reset) counts as not, a hang fails. */
async function freshRequest(baseUrl: string): Promise<string> {
  try {
    const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(3_000) });
    return `answered ${res.status}`;
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code;
    return code ?? (err as Error).name;
  }
}

/** Until the server has parsed the request's headers and waits for its body (bounded). */
const settle = () => new Promise((r) => setTimeout(r, 300));

describe('graceful shutdown on SIGTERM', () => {
  let db: FreshDatabase;
  let server: BuiltServer | undefined;
  beforeAll(async () => {
    db = await freshDatabase();
    await createUser(db.url, { email: EMAIL, role: 'PHYSICIAN', rpps: rppsWithCheckDigit('1000000321'), password: PASSWORD });
  }, 60_000);
  afterEach(async () => {
    await server?.kill9();
    server = undefined;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('refuses new connections, closes sockets with 1012, lets an 11 s request in flight finish with 200, then exits 0', async () => {
    server = await startBuiltServer({ DATABASE_URL: db.url });
    const { url } = server;
    const cookie = await login(url, EMAIL, PASSWORD);
    const socket = await liveSocket(url, cookie);
    const slow = slowRequest(url, cookie);
    await settle();

    const t0 = performance.now();
    process.kill(server.pid, 'SIGTERM');
    const close = await socket.closed;
    expect(close.code).toBe(1012);
    expect(close.at - t0).toBeLessThan(3_000);
    // The listener is closed by then: a new client is turned away at once, not left hanging.
    expect(await freshRequest(url)).toBe('ECONNREFUSED');

    // Past the 10 s Apollo's drain allowed, within the 25 s default.
    await new Promise((r) => setTimeout(r, 11_000));
    slow.sendRest();
    const answer = await slow.answer;
    const answeredAt = performance.now();
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ data: { me: { id: expect.any(String) } } });
    expect(answer.connection).toBe('close');

    const exit = await server.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(performance.now() - answeredAt).toBeLessThan(5_000);
    expect(server.output()).not.toMatch(/"level":(50|60)/);
  }, 45_000);

  it('a mail being sent at SIGTERM is delivered and recorded as sent before the process exits 0', async () => {
    let signalled = false;
    const relay = await startFaultyRelay({
      // The relay holds its 250 while the server is told to stop: the send is in flight then.
      onAccepted: async () => {
        if (signalled || !server) return;
        signalled = true;
        process.kill(server.pid, 'SIGTERM');
        await new Promise((r) => setTimeout(r, 1_500));
      },
    });
    try {
      server = await startBuiltServer({ DATABASE_URL: db.url, SMTP_URL: relay.url, SMTP_ALLOW_PLAINTEXT: 'true' });
      expect((await gql(server.url, 'mutation($e: String!) { requestPasswordReset(email: $e) }', { e: EMAIL })).body.data).toEqual({ requestPasswordReset: true });
      const exit = await Promise.race([server.exited, new Promise((r) => setTimeout(() => r('no exit within 20 s'), 20_000))]);
      expect(signalled).toBe(true);
      expect(exit).toEqual({ code: 0, signal: null });
      expect(relay.delivered()).toHaveLength(1);
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ sent: boolean; claimed: boolean }>(`select sent_at is not null as sent, claim_token is not null as claimed from outbox_message where template = 'auth.password-reset'`);
        expect(rows).toEqual([{ sent: true, claimed: false }]);
      } finally {
        await client.end();
      }
    } finally {
      await relay.stop();
    }
  }, 40_000);

  it('past SHUTDOWN_DRAIN_SECONDS a request that never ends is cut, and the process still exits 0 in time', async () => {
    server = await startBuiltServer({ DATABASE_URL: db.url, SHUTDOWN_DRAIN_SECONDS: '1' });
    const cookie = await login(server.url, EMAIL, PASSWORD);
    const stuck = slowRequest(server.url, cookie);
    const outcome = stuck.answer.then(
      (a) => `answered ${a.status}`,
      (err: NodeJS.ErrnoException) => err.code ?? err.message,
    );
    await settle();
    const t0 = performance.now();
    process.kill(server.pid, 'SIGTERM');
    const exit = await server.exited;
    const ms = performance.now() - t0;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(ms).toBeGreaterThan(900);
    expect(ms).toBeLessThan(6_000);
    expect(await outcome).toBe('ECONNRESET');
    expect(server.output()).toContain('requests still in flight at the end of the drain');
  }, 30_000);
});
