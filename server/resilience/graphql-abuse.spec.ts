import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rppsWithCheckDigit } from '../src/common/identifiers.js';
import { freshDatabase, startBuiltServer, type BuiltServer, type FreshDatabase } from './support/built-server.js';
import { httpClient, measured, percentile, probeHealth, processCpuMs, rawSocket, type Answer } from './support/graphql-abuse.js';
import { createUser, login } from './support/portal.js';

/*
 * GraphQL abuse against the built server (issue 17 §4, §5): four hostile clients send deep,
 * wide, aliased, batched and huge documents over HTTP in a loop, a signed-in one does the same
 * over the WebSocket, and a probe measures /healthz meanwhile. Before the limits ran ahead of
 * GraphQL's validation, four such clients took /healthz from 1 ms to 1.4 s.
 */

const nested = (n: number): string => (n <= 1 ? 'id' : n % 2 === 0 ? `documents { ${nested(n - 1)} }` : `exam { ${nested(n - 1)} }`);
const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `p${i}: patients(first: 100) { edges { node { id displayName } } }`).join(' ')} }`;

/** Request bodies: deep, wide (one field 249 times), aliased (31, then 200), batched, huge (99 kB, 9,900 fields). */
const HTTP_ABUSE = [
  { query: `{ exam(id: "00000000-0000-4000-8000-000000000000") { ${nested(15)} } }` },
  { query: `{ ${'me { id } '.repeat(249)} }` },
  { query: aliased(31) },
  { query: aliased(200) },
  Array.from({ length: 1_000 }, () => ({ query: '{ me { id } }' })),
  { query: `{ ${'me { id } '.repeat(9_900)} }` },
].map((body) => JSON.stringify(body));

const SOCKET_ABUSE = [
  '{ me { id email } }',
  'mutation { markAllNotificationsRead }',
  `subscription { notificationAdded { ${nested(15)} } }`,
  `subscription { notificationAdded { ${'id '.repeat(1_500)} } }`,
  aliased(31),
];

const ABUSE_MS = 6_000;
const PASSWORD = 'Correct-horse-battery-42';

interface Figures {
  sent: number;
  refused: number;
  rateLimited: number;
  answered: number;
  slowestMs: number;
  socketOperations: number;
  socketRefused: number;
  socketsClosed: number;
  handshakesRefused: number;
  serverCpuMs: number;
  healthz: number[];
  /** /healthz just before the abuse: what the machine itself adds at that moment. */
  quietHealthz: number[];
}

async function abuse(server: BuiltServer, cookie: string, addresses: string[]): Promise<Figures> {
  const figures: Figures = { sent: 0, refused: 0, rateLimited: 0, answered: 0, slowestMs: 0, socketOperations: 0, socketRefused: 0, socketsClosed: 0, handshakesRefused: 0, serverCpuMs: 0, healthz: [], quietHealthz: [] };
  const quiet = probeHealth(server.url);
  await measured(quiet, 40, 4_000);
  figures.quietHealthz = await quiet.stop();
  const count = (a: Answer) => {
    figures.sent++;
    figures.slowestMs = Math.max(figures.slowestMs, a.ms);
    if (a.status === 429) figures.rateLimited++;
    else if (a.status >= 400 && a.status < 500) figures.refused++;
    else figures.answered++;
  };
  const cpuBefore = processCpuMs(server.pid);
  const deadline = Date.now() + ABUSE_MS;
  const httpLoops = addresses.map(async (address, n) => {
    const client = httpClient(server.url, address);
    try {
      for (let i = n; Date.now() < deadline && i < 100_000; i++) count(await client.post(HTTP_ABUSE[i % HTTP_ABUSE.length]!));
    } finally {
      client.close();
    }
  });
  const socketLoop = (async () => {
    let socket: Awaited<ReturnType<typeof rawSocket>> | undefined;
    for (let i = 0; Date.now() < deadline && i < 100_000; i++) {
      if (!socket || socket.closed()) {
        if (socket) figures.socketsClosed++;
        socket = await rawSocket(server.url, cookie).catch(() => undefined);
        if (!socket) {
          // The handshake itself was refused (429 once the address's budget is spent).
          figures.handshakesRefused++;
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
      }
      const answer = await socket.send(SOCKET_ABUSE[i % SOCKET_ABUSE.length]!);
      figures.socketOperations++;
      if (answer.outcome !== 'data') figures.socketRefused++;
    }
    socket?.close();
  })();
  const health = probeHealth(server.url);
  await Promise.all([...httpLoops, socketLoop]);
  figures.healthz = await health.stop();
  figures.serverCpuMs = processCpuMs(server.pid) - cpuBefore;
  return figures;
}

/**
 * /healthz under abuse: p50 under 100 ms, and p95 under 250 ms plus three times the p95 the
 * probe sees on the idle server just before, so that other jobs loading a shared two-core
 * machine do not decide the test (an orchestrator's probe times out after a second). Before the
 * limits ran ahead of validation the p95 was 1.4 s (issue 17), and this file's abuse on a loaded
 * machine gave p50 1.8 s, p95 9 s. Server CPU per refusal is the figure the load does not blur.
 */
const healthzP95Bound = (f: Figures) => 250 + 3 * percentile(f.quietHealthz, 95);

function report(label: string, f: Figures): void {
  const refusals = f.refused + f.rateLimited + f.socketRefused;
  console.log(
    `[graphql-abuse] ${label}: HTTP ${f.sent} sent, ${f.refused} refused by a limit, ${f.rateLimited} answered 429, ${f.answered} answered otherwise (slowest ${f.slowestMs.toFixed(0)} ms); ` +
      `WebSocket ${f.socketOperations} operations, ${f.socketRefused} refused, ${f.socketsClosed} sockets closed, ${f.handshakesRefused} handshakes refused; ` +
      `server CPU ${f.serverCpuMs.toFixed(0)} ms over ${ABUSE_MS} ms (${(f.serverCpuMs / Math.max(1, refusals)).toFixed(2)} ms per refusal); ` +
      `/healthz ${f.healthz.length} probes, p50 ${percentile(f.healthz, 50).toFixed(1)} ms, p95 ${percentile(f.healthz, 95).toFixed(1)} ms, max ${Math.max(...f.healthz).toFixed(1)} ms ` +
      `(idle server: ${f.quietHealthz.length} probes, p50 ${percentile(f.quietHealthz, 50).toFixed(1)} ms, p95 ${percentile(f.quietHealthz, 95).toFixed(1)} ms; bound ${healthzP95Bound(f).toFixed(0)} ms)`,
  );
}

describe('GraphQL abuse over HTTP and WebSocket against the built server', () => {
  let db: FreshDatabase;
  const email = 'abuse@example.org';

  beforeAll(async () => {
    db = await freshDatabase();
    await createUser(db.url, { email, role: 'PHYSICIAN', rpps: rppsWithCheckDigit('1000000001'), password: PASSWORD });
  });
  afterAll(async () => {
    await db?.drop();
  });

  describe('the limits alone (each client’s request budget raised out of the way)', () => {
    let server: BuiltServer;
    beforeAll(async () => {
      server = await startBuiltServer({ DATABASE_URL: db.url, RATE_LIMIT_SCALE: '1000' });
    });
    afterAll(() => server?.kill9());

    it('refuses every abusive document in a few ms of CPU and keeps /healthz fast', async () => {
      const cookie = await login(server.url, email, PASSWORD);
      const f = await abuse(server, cookie, ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5']);
      report('limits alone', f);
      expect(f.sent).toBeGreaterThan(100);
      expect(f.answered).toBe(0);
      expect(f.refused).toBe(f.sent);
      expect(f.socketOperations).toBeGreaterThan(20);
      expect(f.socketRefused).toBe(f.socketOperations);
      expect(f.socketsClosed).toBeGreaterThan(0);
      expect(f.serverCpuMs / (f.refused + f.socketRefused)).toBeLessThan(10);
      expect(f.healthz.length).toBeGreaterThan(50);
      expect(percentile(f.healthz, 50)).toBeLessThan(100);
      expect(percentile(f.healthz, 95)).toBeLessThan(healthzP95Bound(f));
    });
  });

  describe('with a request budget per client address', () => {
    let server: BuiltServer;
    beforeAll(async () => {
      // A fifth of the default budget (burst 60, then 10 a second): a loaded two-core test
      // machine sends fewer requests a second than an attacker would.
      server = await startBuiltServer({ DATABASE_URL: db.url, RATE_LIMIT_SCALE: '0.2' });
    });
    afterAll(() => server?.kill9());

    it('answers 429 to clients that keep going, keeps /healthz fast, and still serves a calm client', async () => {
      const cookie = await login(server.url, email, PASSWORD);
      // Four connections from one address share its budget.
      const f = await abuse(server, cookie, ['127.0.0.2', '127.0.0.2', '127.0.0.2', '127.0.0.2']);
      report('budget', f);
      expect(f.rateLimited).toBeGreaterThan(0);
      expect(f.answered).toBe(0);
      expect(percentile(f.healthz, 50)).toBeLessThan(100);
      expect(percentile(f.healthz, 95)).toBeLessThan(healthzP95Bound(f));
      const calm = httpClient(server.url, '127.0.0.9');
      try {
        expect(await calm.post(JSON.stringify({ query: '{ me { id } }' }))).toMatchObject({ status: 200 });
      } finally {
        calm.close();
      }
    });
  });
});
