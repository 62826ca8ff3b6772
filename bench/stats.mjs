/**
 * npm run bench:stats — the analysts' statistics on the large dataset.
 *
 * 1. A dedicated database: DATABASE_URL when set, else an embedded PostgreSQL under
 *    .data/bench-stats-postgres (kept: built once). Not the portal bench's database, because
 *    step 2 rewrites publication dates.
 * 2. buildLargeDataset (bench/lib/large-dataset.mjs: 200,000 patients, 1,000,000 exams, 5,000
 *    physicians), then the activity the statistics are about, spread over 5 years (once per
 *    database): publication dates, first openings, one notification per prescriber (70 % read),
 *    one e-mail per notification (some retried or given up), 100,000 shares, 500,000 sessions.
 *    That bulk load runs with triggers off and ends with stats_rebuild(), as an operator would.
 * 3. The built server (server/dist) on a free port, logged in as an analyst; for each stats query:
 *    sequential requests over HTTP (autocannon, 1 connection), then the SQL statements the server
 *    sent for one such request replayed with a plain pg client.
 *
 * Env: BENCH_DURATION (s per query, default 10), BENCH_SQL_ITERATIONS (default 200),
 * BENCH_SCALE (0..1, shrinks the dataset for a quick try; default 1).
 */
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { buildLargeDataset, repoRoot } from './lib/large-dataset.mjs';
import { startInProcessServer } from './lib/in-process-server.mjs';

const dist = (p) => path.join(repoRoot, 'server', 'dist', p);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const SQL_ITERATIONS = Number(process.env.BENCH_SQL_ITERATIONS ?? 200);
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const TARGET_MS = 200;
const ANALYST = { email: 'analyst@bench.e-mage.fr', password: 'Bench-stats-2026!' };

const v = '{ value suppressed }';
const QUERIES = [
  ['exams by month (12 months)', `{ stats(groupBy: [MONTH]) { examsPublished { period exams ${v} } } }`],
  ['exams by month × modality × facility', `{ stats(groupBy: [MONTH, MODALITY, FACILITY]) { examsPublished { period modality facility { name } exams ${v} } } }`],
  ['exams by day × facility (92 days)', `{ stats(groupBy: [DAY, FACILITY], range: { from: "${new Date(Date.now() - 91 * 86_400_000).toISOString()}" }) { examsPublished { period facility { name } exams ${v} } } }`],
  ['exams by year × modality (5 years)', `{ stats(groupBy: [YEAR, MODALITY], range: { from: "${new Date().getFullYear() - 4}-01-01T00:00:00Z" }) { examsPublished { period modality exams ${v} } } }`],
  ['time to first opening by month × facility', `{ stats(groupBy: [MONTH, FACILITY]) { timeToFirstOpening { period facility { name } openedExams ${v} medianSeconds ${v} p90Seconds ${v} } } }`],
  ['notifications by week', `{ stats(groupBy: [WEEK]) { notifications { period sent ${v} read ${v} medianSecondsToRead ${v} } } }`],
  ['e-mails by month', `{ stats(groupBy: [MONTH]) { emails { period queued ${v} sent ${v} failed ${v} retried ${v} } } }`],
  ['shares by month', `{ stats(groupBy: [MONTH]) { shares { period created ${v} opened ${v} expired ${v} revoked ${v} medianOpenings ${v} } } }`],
  ['active physicians by day (1 year)', `{ stats(groupBy: [DAY]) { activePhysicians { period physicians ${v} } } }`],
];

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const ms = (x) => Math.round(x * 10) / 10;

async function database() {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, stop: async () => undefined };
  const { startEmbeddedPostgres } = await import(dist('infra/db/embedded-postgres.js'));
  const db = await startEmbeddedPostgres(path.join(repoRoot, '.data', 'bench-stats-postgres'), { database: 'emage_bench_stats' });
  return { url: db.url, stop: () => db.stop() };
}

/** The activity the statistics count, generated inside PostgreSQL; once per database. */
async function addActivity(url) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`create table if not exists bench_stats_activity (built_at timestamptz not null)`);
    if ((await c.query(`select 1 from bench_stats_activity`)).rowCount) return false;
    const step = async (label, sql) => {
      const s = performance.now();
      const r = await c.query(sql);
      process.stderr.write(`  ${label}: ${r.rowCount ?? 0} rows in ${((performance.now() - s) / 1000).toFixed(1)} s\n`);
    };
    await c.query('begin');
    // A bulk load, not application traffic: triggers off, counters rebuilt at the end.
    await c.query(`set local session_replication_role = replica`);
    await step('publication dates', `update exam set published_at = date + interval '2 hours'`);
    await step('first openings', `update exam_access a set first_opened_at = e.published_at + (abs(hashtext(a.id::text)) % 20000) * interval '1 minute'
      from exam e where e.id = a.exam_id and a.first_opened_at is not null`);
    await step('notifications', `insert into notification (id, recipient_id, exam_id, kind, created_at, read_at)
      select md5('n' || a.id)::uuid, a.physician_id, a.exam_id, 'EXAM_AVAILABLE', e.published_at,
             case when abs(hashtext(a.id::text)) % 10 < 7 then e.published_at + (abs(hashtext(a.id::text)) % 6000) * interval '1 minute' end
        from exam_access a join exam e on e.id = a.exam_id where a.role = 'PRESCRIBER' and a.physician_id is not null`);
    await step('e-mails', `insert into outbox_message (id, idempotency_key, "to", template, payload, attempts, next_attempt_at, last_error, sent_at, failed_at, created_at)
      select md5('o' || n.id)::uuid, 'bench:' || n.id, 'physician@bench.e-mage.fr', 'exam-available', '{}'::jsonb,
             case when h % 50 = 0 then 12 when h % 10 = 1 then 2 else 1 end, n.created_at,
             case when h % 50 = 0 or h % 10 = 1 then 'timeout' end,
             case when h % 50 = 0 then null else n.created_at + interval '5 seconds' end,
             case when h % 50 = 0 then n.created_at + interval '1 day' end, n.created_at
        from notification n, lateral (select abs(hashtext(n.id::text)) h) x`);
    await step('shares', `insert into share (id, document_id, creator_id, recipient_email, comment, token_hash, created_at, expires_at, revoked_at, open_count, first_opened_at, last_opened_at)
      select md5('s' || d.id)::uuid, d.id, a.physician_id, 'recipient@bench.e-mage.fr', null, md5('st' || d.id), e.published_at + interval '1 day',
             e.published_at + interval '4 days', case when h % 20 = 0 then e.published_at + interval '2 days' end, h % 7,
             case when h % 7 > 0 then e.published_at + interval '25 hours' end, case when h % 7 > 0 then e.published_at + interval '30 hours' end
        from document d join exam e on e.id = d.exam_id
        join exam_access a on a.exam_id = e.id and a.role = 'PRESCRIBER' and a.physician_id is not null,
        lateral (select abs(hashtext(d.id::text)) h) x
       where d.type = 'REPORT' and h % 10 = 0`);
    await step('sessions', `insert into session (id, token_hash, user_id, created_at, last_seen_at, idle_expires_at, absolute_expires_at, revoked_at)
      select md5('se' || i)::uuid, md5('set' || i), u.id, t, t + interval '20 minutes', t + interval '35 minutes', t + interval '12 hours', t + interval '20 minutes'
        from generate_series(1, ${Math.round(500_000 * SCALE)}) i,
             lateral (select now() - ((i::bigint * 7919) % (5 * 365 * 24 * 60)) * interval '1 minute' as t) x,
             app_user u
       where u.id = md5('u' || (2 + i % (select count(*) - 1 from app_user where role = 'PHYSICIAN')))::uuid`);
    await c.query(`set local session_replication_role = origin`);
    await step('stats_rebuild()', `select stats_rebuild()`);
    await c.query(`insert into bench_stats_activity values (now())`);
    await c.query('commit');
    await step('analyze', 'analyze');
    return true;
  } catch (err) {
    await c.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    await c.end();
  }
}

async function main() {
  const db = await database();
  const sizes = { patients: Math.round(200_000 * SCALE), exams: Math.round(1_000_000 * SCALE), physicians: Math.max(2, Math.round(5_000 * SCALE)), bigPhysicianPatients: Math.round(2_000 * Math.min(1, SCALE * 10)) };
  process.stderr.write(`dataset ${JSON.stringify(sizes)}…\n`);
  const dataset = await buildLargeDataset(db.url, sizes);
  process.stderr.write(`dataset ready (${dataset.cached ? 'cached' : 'built'} in ${Math.round(dataset.seconds)} s)\n`);
  const added = await addActivity(db.url);
  process.stderr.write(`activity ${added ? 'added' : 'already there'}\n`);

  const { forkEm } = await import(dist('bootstrap.js'));
  const { createUser } = await import(dist('modules/auth/auth.service.js'));
  const { url, config, started, knex } = await startInProcessServer(db.url);
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  const counts = (await sql.query(`select (select count(*) from exam) exams, (select count(*) from notification) notifications,
    (select count(*) from outbox_message) emails, (select count(*) from share) shares, (select count(*) from session) sessions,
    (select count(*) from stats_counter) counters`)).rows[0];
  const results = [];
  try {
    const exists = await sql.query(`select 1 from app_user where email = $1`, [ANALYST.email]);
    if (!exists.rowCount) await createUser(forkEm(started.services.deps), config, { email: ANALYST.email, role: 'ANALYST', firstName: 'Analyste', lastName: 'Bench', password: ANALYST.password });
    const login = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { id } }', variables: { e: ANALYST.email, p: ANALYST.password } }),
    });
    const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    if (!cookie) throw new Error(`login failed: ${await login.text()}`);

    for (const [name, query] of QUERIES) {
      const body = JSON.stringify({ query });
      const statements = [];
      const onQuery = (q) => statements.push(q.sql);
      knex.on('query', onQuery);
      const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body });
      const json = await res.json();
      knex.off('query', onQuery);
      if (json.errors) throw new Error(`${name}: ${JSON.stringify(json.errors)}`);
      const rows = Object.values(json.data.stats)[0].length;
      const replay = statements.filter((q) => /^\s*(select|with)\b/i.test(q) && !/from "?session"?|app_user/i.test(q));

      const latencies = [];
      const instance = autocannon({ url: `${url}/graphql`, method: 'POST', headers: { 'content-type': 'application/json', cookie }, body, connections: 1, duration: DURATION });
      instance.on('response', (_c, status, _b, responseTime) => {
        if (status === 200) latencies.push(responseTime);
      });
      const cannon = await instance;
      latencies.sort((a, b) => a - b);

      const sqlTimes = [];
      for (let i = 0; i < SQL_ITERATIONS; i++) {
        const t0 = performance.now();
        for (const q of replay) await sql.query(q);
        sqlTimes.push(performance.now() - t0);
      }
      sqlTimes.sort((a, b) => a - b);
      results.push({
        name, rows, statements: replay.length, requests: latencies.length, errors: cannon.errors + cannon.non2xx,
        httpP50: ms(percentile(latencies, 50)), httpP95: ms(percentile(latencies, 95)),
        sqlP50: ms(percentile(sqlTimes, 50)), sqlP95: ms(percentile(sqlTimes, 95)),
      });
    }
  } finally {
    await sql.end();
    await started.stop();
    await db.stop();
  }

  const cpu = os.cpus();
  console.log(`# Stats bench — ${new Date().toISOString()} — ${cpu.length} × ${cpu[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}`);
  console.log(`dataset: ${JSON.stringify(counts)}; autocannon 1 connection × ${DURATION} s per query; SQL replay × ${SQL_ITERATIONS}\n`);
  console.log('| query | rows | SQL stmts | req | errors | HTTP p50 | HTTP p95 | SQL p50 | SQL p95 |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.name} | ${r.rows} | ${r.statements} | ${r.requests} | ${r.errors} | ${r.httpP50} ms | ${r.httpP95} ms | ${r.sqlP50} ms | ${r.sqlP95} ms |`);
  }
  const failed = results.filter((r) => r.httpP95 > TARGET_MS || r.errors > 0);
  if (failed.length) {
    console.log(`\nTarget missed (HTTP p95 ≤ ${TARGET_MS} ms): ${failed.map((r) => r.name).join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
