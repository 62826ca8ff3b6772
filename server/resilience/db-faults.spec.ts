import { createClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { rppsWithCheckDigit } from '../src/common/identifiers.js';
import { freshDatabase, startBuiltServer, type BuiltServer, type FreshDatabase } from './support/built-server.js';
import { DatabaseAdmin, LISTEN_APPLICATION_NAME, POOL_APPLICATION_NAME, publishNewExam, type Backend } from './support/db-faults.js';
import { createFacilityKey, createUser, gql, login } from './support/portal.js';

// Issue 17 finding 1: a failover, a restart, a pooler or idle_session_timeout terminates the
// server's database connections. Under a load of GraphQL requests, the LISTEN connection, then
// every pool connection, then both at once are terminated. The process must stay up, live
// notifications must resume, a request that meets a dead connection must be retried (reads) or
// refused cleanly (503 / SERVICE_UNAVAILABLE, never a 500), and none may fail once reconnected.

const PASSWORD = 'Correct-horse-battery-42';
const RPPS = rppsWithCheckDigit('1000000123');
const LOOPS = 4;
/** Load after the last recovery, so that "none fails once reconnected" rests on requests. */
const AFTER_MS = 2_000;
/** Whatever happens, the load stops there. */
const LOAD_MAX_MS = 30_000;

const READ = `{ me { email } unreadNotificationCount notifications(first: 5) { unreadCount edges { node { id exam { id title } } } } }`;
const WRITE = `mutation { markAllNotificationsRead }`;
const ADDED = `subscription { notificationAdded { id exam { id } } }`;

interface Outcome {
  startedAt: number;
  ok: boolean;
  status: number;
  code: string | undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Set once the server process has exited: every wait then fails with its last words. */
let gone: (() => string) | undefined;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gone) throw new Error(`${what}: the server exited:\n${gone().slice(-2_000)}`);
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

describe('database connections terminated under load (a failover, a restart, a pooler)', () => {
  let db: FreshDatabase;
  let server: BuiltServer;
  let admin: DatabaseAdmin;
  let socket: Client;
  let cookie: string;
  let facilityKey: string;

  beforeAll(async () => {
    db = await freshDatabase();
    [, facilityKey] = await Promise.all([
      createUser(db.url, { email: 'db-faults@example.org', role: 'PHYSICIAN', rpps: RPPS, password: PASSWORD }),
      createFacilityKey(db.url),
    ]);
    // The load is one client's: per-client request limits are not what this file measures.
    server = await startBuiltServer({ DATABASE_URL: db.url, RATE_LIMIT_SCALE: '10000' });
    void server.exited.then(() => (gone = server.output));
    admin = await DatabaseAdmin.connect();
    cookie = await login(server.url, 'db-faults@example.org', PASSWORD);
    const headers = { cookie };
    class CookieSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { headers });
      }
    }
    socket = createClient({ url: `${server.url.replace(/^http/, 'ws')}/graphql`, webSocketImpl: CookieSocket, lazy: false, retryAttempts: 0, onNonLazyError: () => undefined });
  });
  afterAll(async () => {
    await socket?.dispose();
    await admin?.end();
    await server?.kill9();
    await db?.drop();
  });

  it('the process stays up, live notifications resume after each fault, and no request fails once reconnected', async () => {
    const received: string[] = [];
    const feedErrors: unknown[] = [];
    socket.subscribe<{ notificationAdded: { exam: { id: string } } }>(
      { query: ADDED },
      { next: (r) => (r.data ? received.push(r.data.notificationAdded.exam.id) : feedErrors.push(r.errors)), error: (e) => feedErrors.push(e), complete: () => undefined },
    );
    const notified = (examId: string, what: string) => until(what, async () => (received.includes(examId) ? true : undefined), 15_000);
    // graphql-ws says nothing when a subscription has started: the first exam may come before it.
    await until('a first live notification', async () => {
      const id = await publishNewExam(server.url, facilityKey, RPPS);
      return (await notified(id, 'first').then(() => true, () => undefined)) ? true : undefined;
    }, 45_000);

    const outcomes: Outcome[] = [];
    let stop = false;
    const loadStarted = Date.now();
    const loadEnds = loadStarted + LOAD_MAX_MS;
    const loop = async (query: string) => {
      while (!stop && Date.now() < loadEnds) {
        const startedAt = Date.now();
        try {
          const r = await gql(server.url, query, undefined, cookie);
          const code = r.body.errors?.[0]?.extensions?.code;
          outcomes.push({ startedAt, ok: r.status === 200 && !r.body.errors?.length, status: r.status, code });
        } catch (err) {
          outcomes.push({ startedAt, ok: false, status: 0, code: err instanceof Error ? err.name : 'error' });
        }
      }
    };
    const load = Promise.all([...Array.from({ length: LOOPS - 1 }, () => loop(READ)), loop(WRITE)]);

    const ready = async () => ((await fetch(`${server.url}/readyz`)).status === 200 ? true : undefined);
    const faults: Array<{ fault: string; at: number; recoveredAt: number; terminated: number }> = [];
    const afterFaults: string[] = [];
    async function inject(fault: string, names: string[]): Promise<void> {
      await sleep(1_200);
      const before: Backend[] = [];
      for (const name of names) before.push(...(await admin.backends(db.name, name)));
      expect(before.length, `${fault}: backends to terminate`).toBeGreaterThan(0);
      const at = Date.now();
      const terminated = await admin.terminate(before);
      const old = new Set(before.map((b) => b.pid));
      // Reconnected: a new connection of each kind terminated, and ready again.
      for (const name of names) {
        await until(`${fault}: a new ${name} connection`, async () => ((await admin.backends(db.name, name)).some((b) => !old.has(b.pid)) ? true : undefined));
      }
      await until(`${fault}: ready again`, ready);
      faults.push({ fault, at, recoveredAt: Date.now(), terminated });
      const examId = await publishNewExam(server.url, facilityKey, RPPS);
      await notified(examId, `${fault}: the notification published afterwards`);
      afterFaults.push(examId);
    }

    await inject('LISTEN connection', [LISTEN_APPLICATION_NAME]);
    await inject('pool connections', [POOL_APPLICATION_NAME]);
    await inject('all connections', [LISTEN_APPLICATION_NAME, POOL_APPLICATION_NAME]);
    await sleep(AFTER_MS);
    stop = true;
    await load;
    const loadSeconds = ((Date.now() - loadStarted) / 1000).toFixed(1);

    // What the server logged as errors (names and codes only, never patient data).
    const serverErrors = () =>
      server
        .output()
        .split('\n')
        .filter((l) => /"level":(50|60)/.test(l))
        .map((l) => l.slice(0, 400));
    const firstFault = faults[0]!.at;
    const during = outcomes.filter((o) => faults.some((f) => o.startedAt >= f.at - 1_000 && o.startedAt < f.recoveredAt));
    const after = outcomes.filter((o) => !during.includes(o) && o.startedAt >= firstFault);
    const failedDuring = during.filter((o) => !o.ok);
    const failedAfter = after.filter((o) => !o.ok);
    const failedBefore = outcomes.filter((o) => o.startedAt < firstFault - 1_000 && !o.ok);
    const kinds = (list: Outcome[]) => {
      const counts = new Map<string, number>();
      for (const o of list) counts.set(`${o.status} ${o.code ?? ''}`.trim(), (counts.get(`${o.status} ${o.code ?? ''}`.trim()) ?? 0) + 1);
      return [...counts].map(([k, n]) => `${k}: ${n}`).join(', ');
    };
    console.log(
      [
        `db-faults: ${outcomes.length} GraphQL requests over ${loadSeconds} s (${LOOPS} loops: ${LOOPS - 1} reads, 1 write)`,
        ...faults.map((f) => `  ${f.fault}: ${f.terminated} backend(s) terminated, ready again after ${f.recoveredAt - f.at} ms`),
        `  failed before any fault: ${failedBefore.length}`,
        `  failed during the faults: ${failedDuring.length} of ${during.length}${failedDuring.length ? ` (${kinds(failedDuring)})` : ''}`,
        `  failed after recovery: ${failedAfter.length} of ${after.length}${failedAfter.length ? ` (${kinds(failedAfter)})` : ''}`,
        `  live notifications received: ${received.length} (one published before the faults, one after each of the ${faults.length} faults)`,
        ...serverErrors().map((l) => `  server error: ${l}`),
      ].join('\n'),
    );

    expect(server.output()).not.toMatch(/uncaught exception|Unhandled 'error' event|Connection terminated unexpectedly/i);
    expect(await Promise.race([server.exited.then(() => 'exited'), sleep(0).then(() => 'running')])).toBe('running');
    expect(feedErrors).toEqual([]);
    // Each arrived, and none twice (a gap's recovery may also find one published just before).
    expect(received).toEqual(expect.arrayContaining(afterFaults));
    expect(new Set(received).size).toBe(received.length);
    expect(failedBefore).toEqual([]);
    expect(failedAfter).toEqual([]);
    // A request that met a dead connection and could not be retried is refused as unavailable.
    for (const o of failedDuring) expect(o.status === 503 || o.code === 'SERVICE_UNAVAILABLE', `${o.status} ${o.code}`).toBe(true);
    // Every loop kept sending once the last fault was over.
    expect(after.filter((o) => o.startedAt >= faults.at(-1)!.recoveredAt).length).toBeGreaterThanOrEqual(LOOPS);
  });
});
