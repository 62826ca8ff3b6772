import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster, type Replica } from '../../bench/lib/cluster.mjs';
import { luhnCheckDigit } from '../src/common/identifiers.js';
import { freshDatabase, type FreshDatabase } from '../resilience/support/built-server.js';
import { publishNewExam } from '../resilience/support/db-faults.js';
import { createFacilityKey, createUser, gql, login } from '../resilience/support/portal.js';
import { openTab, type LiveTab } from './support/live.js';
import { Load } from './support/load.js';

/**
 * Issue 21's scale-out proof: HAProxy (infra/haproxy/haproxy.cfg) in front of two replicas of the
 * built server on one PostgreSQL, files on a shared filesystem (ADR 0116).
 */
const PASSWORD = 'Cluster-e-mage-2026';

interface Physician {
  email: string;
  rpps: string;
  cookie: string;
  /** The cursor and id of a notification the physician had before the test's tabs opened. */
  baseline: string;
  baselineId: string;
}

describe('two replicas behind HAProxy', () => {
  let db: FreshDatabase;
  let cluster: Cluster;
  let sql: pg.Client;
  let key: string;
  let a: Replica;
  let b: Replica;
  const physicians: Physician[] = [];
  const tabs: LiveTab[] = [];

  async function physician(n: number): Promise<Physician> {
    const rpps = `100990${String(n).padStart(4, '0')}`;
    const p = { email: `cluster${n}@e-mage.test`, rpps: rpps + luhnCheckDigit(rpps) };
    await createUser(db.url, { email: p.email, role: 'PHYSICIAN', rpps: p.rpps, password: PASSWORD, lastName: `Grappe ${n}` });
    const cookie = await login(cluster.url, p.email, PASSWORD);
    await publishNewExam(cluster.url, key, p.rpps);
    const list = await gql<{ notifications: { edges: Array<{ cursor: string; node: { id: string } }> } }>(cluster.url, `{ notifications(first: 1) { edges { cursor node { id } } } }`, undefined, cookie);
    const edge = list.body.data?.notifications.edges[0];
    if (!edge) throw new Error(`no baseline notification: ${JSON.stringify(list.body)}`);
    return { ...p, cookie, baseline: edge.cursor, baselineId: edge.node.id };
  }

  /** Notification ids the database holds for a physician after the baseline: what their tabs must all receive. */
  async function notificationsOf(p: Physician): Promise<string[]> {
    const r = await sql.query<{ id: string }>(`select n.id from notification n join app_user u on u.id = n.recipient_id where u.email = $1 and n.id <> $2`, [p.email, p.baselineId]);
    return r.rows.map((row) => row.id);
  }

  /** A tab through HAProxy; with `on`, reopened until it lands on that replica (leastconn alternates). */
  async function tab(p: Physician, on?: string): Promise<LiveTab> {
    for (let attempt = 0; attempt < 6; attempt++) {
      const t = openTab(cluster.url, p.cookie, p.baseline);
      await t.connected();
      if (!on || t.replicas[0] === on) {
        tabs.push(t);
        return t;
      }
      await t.close();
    }
    throw new Error(`no socket landed on ${on}`);
  }

  beforeAll(async () => {
    db = await freshDatabase();
    cluster = await startCluster({ databaseUrl: db.url, env: { RATE_LIMIT_SCALE: '100' } });
    [a, b] = cluster.replicas as [Replica, Replica];
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    key = await createFacilityKey(db.url);
    physicians.push(await physician(1), await physician(2));
  });
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });
  afterAll(async () => {
    await Promise.all(tabs.map((t) => t.close()));
    await sql?.end();
    await cluster?.stop();
    await db?.drop();
  });

  it("a physician's socket on replica A receives the exam published (STOW-RS and publishExam) through replica B", async () => {
    const [p] = physicians as [Physician];
    const onA = await tab(p, a.name);
    const examId = await publishNewExam(b.url, key, p.rpps);
    const row = await sql.query<{ id: string }>(`select id from notification where exam_id = $1`, [examId]);
    await onA.receive(row.rows.map((r) => r.id));
    expect(onA.replicas).toEqual([a.name]);
    expect(onA.errors).toEqual([]);
  });

  it('replica A killed (SIGKILL) under load: its sockets continue on B and miss no notification; only requests in flight on A fail', async () => {
    const open = [];
    for (const p of physicians) for (let i = 0; i < 3; i++) open.push({ p, tab: await tab(p) });
    expect(new Set(open.map((o) => o.tab.replicas[0]))).toEqual(new Set([a.name, b.name]));

    const load = new Load(cluster.url, physicians[0]!.cookie);
    load.graphqlReads(4);
    const published = load.publishing(key, physicians.map((p) => p.rpps));
    await load.untilPublished(4);
    const killedAt = performance.now();
    try {
      await a.kill9();
    } finally {
      // The next test needs both replicas, whatever happens here.
      cleanup = async () => {
        await a.start();
        await cluster.until(a.name, 'UP');
      };
    }
    const deadAt = performance.now();
    await load.untilPublished(12);
    await load.stop();
    await published;

    for (const { p, tab: t } of open) await t.receive(await notificationsOf(p));
    for (const { tab: t } of open) {
      expect(t.errors).toEqual([]);
      expect(t.replicas.at(-1)).toBe(b.name);
    }
    expect(open.filter((o) => o.tab.replicas.length > 1).map((o) => o.tab.replicas[0])).toContain(a.name);
    // Every request that failed was in flight when A died (started before its exit was seen,
    // ended after the signal); none that started after it failed.
    const failed = load.failures();
    expect(failed.filter((f) => f.startedAt > deadAt || f.endedAt < killedAt)).toEqual([]);
    expect(load.ok()).toBeGreaterThan(20);
    console.log(`kill -9: ${load.ok()} requests answered, ${failed.length} in flight on the killed replica failed (${failed.map((f) => f.op).join(', ') || 'none'})`);
  });

  it('a rolling restart (SIGTERM A, restart, then B) under a mixed load fails no request and misses no notification', async () => {
    const [p1, p2] = physicians as [Physician, Physician];
    const open = [];
    for (const p of physicians) for (let i = 0; i < 2; i++) open.push({ p, tab: await tab(p) });
    const study = await sql.query<{ uid: string; patient: string }>(
      `select e.study_instance_uid as uid, e.patient_id as patient from exam e join exam_access x on x.exam_id = e.id join app_user u on u.id = x.physician_id where u.email = $1 limit 1`,
      [p1.email],
    );
    const load = new Load(cluster.url, p1.cookie);
    await load.dicomweb(study.rows[0]!.uid, 2);
    load.graphqlReads(2, study.rows[0]!.patient);
    const published = load.publishing(key, [p1.rpps, p2.rpps], 500);
    await load.untilPublished(2);
    for (const r of [a, b]) {
      const exiting = r.stop();
      // Stopping (SHUTDOWN_DELAY_SECONDS=5): out of the balancer's rotation at once, still serving.
      expect(await readyzWhileStopping(r)).toBe(503);
      expect((await fetch(`${r.url}/healthz`)).status).toBe(200);
      expect(await exiting).toEqual({ code: 0, signal: null });
      await r.start();
      await cluster.until(r.name, 'UP');
    }
    const before = load.published();
    await load.untilPublished(before + 2);
    await load.stop();
    await published;

    if (load.failures().length) console.log(cluster.haproxyOutput());
    expect(load.failures()).toEqual([]);
    for (const { p, tab: t } of open) await t.receive(await notificationsOf(p));
    for (const { tab: t } of open) expect(t.errors).toEqual([]);
    // Every socket was moved at least once (each replica restarted under it), by 1012, not an error.
    expect(open.every((o) => o.tab.replicas.length > 1)).toBe(true);
    const counts = load.counts();
    for (const op of ['dashboard', 'record', 'notifications', 'metadata', 'frame', 'publish']) expect(counts[op] ?? 0).toBeGreaterThan(0);
    console.log(`rolling restart: ${JSON.stringify(counts)} answered, 0 failed`);
  });
});

/** /readyz of a replica just sent SIGTERM, once it answers anything but 200 (the signal takes a moment to land). */
async function readyzWhileStopping(r: Replica): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const status = await fetch(`${r.url}/readyz`).then((res) => res.status);
    if (status !== 200) return status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return 200;
}
