import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, inject } from 'vitest';
import { forkEm } from '../../src/bootstrap.js';
import { LISTEN_APPLICATION_NAME } from '../../src/infra/pubsub/pg-pubsub.js';
import { Role } from '../../src/modules/auth/user.entity.js';
import { randomRpps, startTestServer, type TestServer } from '../harness.js';
import { PUBLISH, createTestFacility, publishInput, storeStudy, type PublishedExamResult, type StoredStudy, type TestFacility } from '../publish/fixtures.js';
import type { LiveSocket } from '../security/ws.js';
import { NOTIFICATION_ADDED, UNREAD_COUNT, liveFor, notificationTopic, subscribe, unreadTopic, untilListening, type AddedEvent, type Feed } from './live.js';

/** Polls `probe` until it returns a value (not undefined), or fails after timeoutMs. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The unread count a tab shows: the last one pushed (a reconnection pushes a fresh one too). */
const untilCount = (feed: Feed<{ unreadNotificationCount: number }>, n: number) =>
  until(`unread count ${n}`, async () => (feed.events.at(-1)?.unreadNotificationCount === n ? true : undefined));

describe('the LISTEN connection lost (failover, restart, pooler, idle timeout): the server stays up and live events resume', () => {
  let t: TestServer;
  let centre: TestFacility;
  let admin: pg.Client;
  let accession = 0;
  const sockets: LiveSocket[] = [];

  beforeAll(async () => {
    t = await startTestServer();
    centre = await createTestFacility(t, 'Centre des connexions perdues');
    admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
    await admin.connect();
  });
  afterEach(async () => {
    await Promise.all(sockets.splice(0).map((s) => s.client.dispose()));
  });
  afterAll(async () => {
    await admin?.query(`alter database "${t.db.name}" allow_connections true`).catch(() => undefined);
    await admin?.end();
    await t?.stop();
  });

  /** The server's LISTEN backends, as an operator finds them. */
  async function listenBackends(): Promise<Array<{ pid: number; query: string }>> {
    const r = await admin.query<{ pid: number; query: string }>(
      `select pid, query from pg_stat_activity where datname = $1 and application_name = $2`,
      [t.db.name, LISTEN_APPLICATION_NAME],
    );
    return r.rows;
  }

  // Found first, then terminated: in one statement the planner may call pg_terminate_backend
  // before the filters, on every backend of the cluster.
  const terminateListen = async () => {
    const found = await listenBackends();
    expect(found).toHaveLength(1);
    const { pid } = found[0]!;
    await admin.query('select pg_terminate_backend($1)', [pid]);
    return pid;
  };

  const readyz = async () => (await fetch(`${t.url}/readyz`)).status;

  async function physicianLive() {
    const rpps = randomRpps();
    const { client, userId } = await t.login(Role.PHYSICIAN, { rpps });
    const socket = await liveFor(t.url, client.cookieHeader());
    sockets.push(socket);
    const added = subscribe<AddedEvent>(socket.client, NOTIFICATION_ADDED);
    const count = subscribe<{ unreadNotificationCount: number }>(socket.client, UNREAD_COUNT);
    await untilListening(t.deps.pubsub, notificationTopic(userId));
    await untilListening(t.deps.pubsub, unreadTopic(userId));
    return { rpps, client, added, count };
  }

  async function publish(study: StoredStudy, rpps: string): Promise<PublishedExamResult> {
    accession++;
    const r = await centre.client.query<{ publishExam: PublishedExamResult }>(PUBLISH, {
      input: publishInput(study, rpps, { accessionNumber: `LOST-${accession}` }),
    });
    if (r.errors?.length) throw new Error(`publishExam failed: ${JSON.stringify(r.errors)}`);
    return r.data!.publishExam;
  }

  it('its connection is named in pg_stat_activity, so an operator (or a test) can find it', async () => {
    expect((await listenBackends()).map((b) => b.query)).toEqual(['LISTEN emage_events']);
  });

  it('terminated, it reconnects: the process keeps serving, is ready again, and a notification published afterwards reaches the subscriber', async () => {
    const p = await physicianLive();
    const before = await terminateListen();
    await until('a new LISTEN connection', async () => {
      const now = await listenBackends();
      return now.length === 1 && now[0]!.pid !== before && now[0]!.query === 'LISTEN emage_events' ? true : undefined;
    });
    await until('ready', async () => ((await readyz()) === 200 ? true : undefined));
    expect(await p.client.mustQuery<{ unreadNotificationCount: number }>(`{ unreadNotificationCount }`)).toEqual({ unreadNotificationCount: 0 });

    const exam = await publish(await storeStudy(t, centre.facility), p.rpps);
    expect((await p.added.next(10_000)).notificationAdded.exam.id).toBe(exam.id);
    await untilCount(p.count, 1);
  });

  it('what was published while it could not listen reaches the subscriber once it listens again, once; /readyz says unavailable meanwhile', async () => {
    const p = await physicianLive();
    const study = await storeStudy(t, centre.facility);
    // Connections the pool holds stay usable while the database refuses new ones: enough for
    // publishing during the gap.
    await Promise.all(Array.from({ length: 8 }, () => forkEm(t.deps).getConnection().execute('select pg_sleep(0.05)')));

    await admin.query(`alter database "${t.db.name}" allow_connections false`);
    let missed: PublishedExamResult;
    try {
      await terminateListen();
      await until('readiness to fail without LISTEN', async () => ((await readyz()) === 503 ? true : undefined));
      missed = await publish(study, p.rpps);
      expect(await readyz()).toBe(503);
    } finally {
      await admin.query(`alter database "${t.db.name}" allow_connections true`);
    }

    expect((await p.added.next(15_000)).notificationAdded.exam.id).toBe(missed.id);
    await untilCount(p.count, 1);
    await until('ready', async () => ((await readyz()) === 200 ? true : undefined));

    // Live again, and the recovered notification is not delivered a second time.
    const next = await publish(await storeStudy(t, centre.facility), p.rpps);
    expect((await p.added.next(10_000)).notificationAdded.exam.id).toBe(next.id);
    expect(p.added.events.map((e) => e.notificationAdded.exam.id)).toEqual([missed!.id, next.id]);
    await untilCount(p.count, 2);
  });
});
