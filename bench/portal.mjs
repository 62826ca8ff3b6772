/**
 * npm run bench:portal — the physician portal under load, on a large dataset.
 *
 * 1. A dedicated database: DATABASE_URL when set (e.g. postgres://postgres@127.0.0.1:5432/emage_bench,
 *    created beforehand), else an embedded PostgreSQL under .data/bench-postgres (kept, so the
 *    dataset is built once).
 * 2. buildLargeDataset (bench/lib/large-dataset.mjs): 200,000 patients, 1,000,000 exams, 5,000
 *    physicians, one with 2,000 patients (cached per database).
 * 3. The built server (server/dist) on a free port, logged in as that physician, and for each
 *    page (dashboard first page, a name filter, a patient record): autocannon over HTTP (from a
 *    child process, so that this process's CPU time per request is the server's), then the
 *    very SQL statements the server sent for one such request, replayed with a plain pg client
 *    (writes inside a rolled-back transaction), then EXPLAIN (ANALYZE, BUFFERS) of its reads.
 *
 * Env: BENCH_DURATION (s, default 10), BENCH_CONNECTIONS (default 1), BENCH_SQL_ITERATIONS (default
 * 300), BENCH_SCALE (0..1, shrinks the dataset for a quick try; default 1), BENCH_SERVER_DIST (the
 * built server, default server/dist).
 */
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { BIG_PHYSICIAN, buildLargeDataset, repoRoot } from './lib/large-dataset.mjs';
import { startInProcessServer } from './lib/in-process-server.mjs';

const distDir = path.resolve(repoRoot, process.env.BENCH_SERVER_DIST ?? path.join('server', 'dist'));
const dist = (p) => path.join(distDir, p);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 1);
const SQL_ITERATIONS = Number(process.env.BENCH_SQL_ITERATIONS ?? 300);
const SCALE = Number(process.env.BENCH_SCALE ?? 1);

const DASHBOARD = `query Dashboard($name: String) { patients(filter: { name: $name }, first: 25) {
  edges { cursor node { id displayName birthName birthDate sex lastExamAt lastExamTitle hasUnopened } }
  pageInfo { hasNextPage endCursor } } }`;
const RECORD = `query Record($id: ID!) { patient(id: $id) { id displayName
  records { id ipp ins lastName firstName birthName birthDate sex addressLine postalCode city phone receivedAt facility { id name finess } }
  exams { id title date facility { id name } documents { id type title date reportUrl studyInstanceUid } } } }`;

/** autocannon with `options`, run by bench/lib/load-child.mjs in a process of its own. */
async function load(options) {
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(repoRoot, 'bench', 'lib', 'load-child.mjs'), JSON.stringify(options)], { maxBuffer: 256 * 2 ** 20 });
  return JSON.parse(stdout);
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const ms = (x) => Math.round(x * 100) / 100;

async function database() {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, stop: async () => undefined };
  const { startEmbeddedPostgres } = await import(dist('infra/db/embedded-postgres.js'));
  const db = await startEmbeddedPostgres(path.join(repoRoot, '.data', 'bench-postgres'), { database: 'emage_bench' });
  return { url: db.url, stop: () => db.stop() };
}

async function main() {
  const db = await database();
  const sizes = { patients: Math.round(200_000 * SCALE), exams: Math.round(1_000_000 * SCALE), physicians: Math.max(2, Math.round(5_000 * SCALE)), bigPhysicianPatients: Math.round(2_000 * Math.min(1, SCALE * 10)) };
  process.stderr.write(`dataset ${JSON.stringify(sizes)}…\n`);
  const dataset = await buildLargeDataset(db.url, sizes);
  process.stderr.write(`dataset ready (${dataset.cached ? 'cached' : 'built'} in ${Math.round(dataset.seconds)} s)\n`);
  // What autovacuum does on a live database: visibility map and statistics after bulk writes
  // (the load, or a migration that rewrote rows), so index-only scans stay index-only.
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  await admin.query('vacuum (analyze) exam_access, exam, patient, document, administrative_record');
  await admin.end();

  const { url, started, knex } = await startInProcessServer(db.url, distDir);
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  const results = [];
  try {
    const login = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { id } }', variables: { e: BIG_PHYSICIAN.email, p: BIG_PHYSICIAN.password } }),
    });
    const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    if (!cookie) throw new Error(`login failed: ${await login.text()}`);
    const post = async (body) => {
      const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body });
      const json = await res.json();
      if (json.errors) throw new Error(JSON.stringify(json.errors));
      return json.data;
    };
    const first = await post(JSON.stringify({ query: DASHBOARD, variables: {} }));
    const patientId = first.patients.edges[0].node.id;
    const scenarios = [
      { name: 'dashboard, first page', body: JSON.stringify({ query: DASHBOARD, variables: {} }) },
      { name: 'dashboard, filter "hél"', body: JSON.stringify({ query: DASHBOARD, variables: { name: 'hél' } }) },
      { name: 'patient record', body: JSON.stringify({ query: RECORD, variables: { id: patientId } }) },
    ];

    for (const s of scenarios) {
      // The statements one request sends: MikroORM inlines parameters, so each is complete SQL;
      // the prepared ones (the session lookup) come with their values, replayed with them.
      const statements = [];
      const onQuery = (q) => statements.push({ text: q.sql, values: /\$\d/.test(q.sql) ? q.bindings : undefined });
      knex.on('query', onQuery);
      const data = await post(s.body);
      knex.off('query', onQuery);
      const rows = data.patients?.edges.length ?? data.patient?.exams.length;
      // Inserts get a fresh primary key: the server already committed a row with the captured one.
      const replay = statements
        .filter((q) => !/^\s*(begin|commit|rollback|savepoint|release)/i.test(q.text))
        .map((q) => ({ ...q, text: q.text.replace(/^(\s*insert into [^(]+\([^)]*\) values \()'[0-9a-f-]{36}'/i, '$1gen_random_uuid()') }));
      const writes = replay.some((q) => /^\s*(insert|update|delete)/i.test(q.text));

      // The load comes from a child process: this process's CPU time is then the server's.
      const cpuBefore = process.cpuUsage();
      const cannon = await load({ url: `${url}/graphql`, method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: s.body, connections: CONNECTIONS, duration: DURATION });
      const cpu = process.cpuUsage(cpuBefore);
      const latencies = cannon.latencies.sort((a, b) => a - b);

      const sqlTimes = [];
      for (let i = 0; i < SQL_ITERATIONS; i++) {
        const t0 = performance.now();
        if (writes) await sql.query('begin');
        for (const q of replay) await sql.query(q.text, q.values);
        if (writes) await sql.query('rollback');
        sqlTimes.push(performance.now() - t0);
      }
      sqlTimes.sort((a, b) => a - b);

      const plans = [];
      for (const q of replay.filter((x) => /^\s*select/i.test(x.text))) {
        const plan = await sql.query(`explain (analyze, buffers) ${q.text}`, q.values);
        const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
        plans.push({ sql: q.text, ms: Number(/Execution Time: ([\d.]+)/.exec(text)?.[1] ?? 0), plan: text });
      }
      plans.sort((a, b) => b.ms - a.ms);

      const httpP50 = percentile(latencies, 50);
      const httpP95 = percentile(latencies, 95);
      const sqlP50 = percentile(sqlTimes, 50);
      results.push({
        scenario: s.name, rows, statements: statements.length, requests: latencies.length, errors: cannon.errors + cannon.non2xx,
        rps: Math.round(cannon.rps), cpuMs: ms((cpu.user + cpu.system) / 1000 / Math.max(1, cannon.total)), httpP50: ms(httpP50), httpP95: ms(httpP95), sqlP50: ms(sqlP50), sqlP95: ms(percentile(sqlTimes, 95)),
        difference: ms(httpP50 - sqlP50), ratio: ms(httpP50 / sqlP50), plans: plans.slice(0, 2),
      });
    }
  } finally {
    await sql.end();
    await started.stop();
    await db.stop();
  }

  const cpu = os.cpus();
  console.log(`# Portal bench — ${new Date().toISOString()} — ${cpu.length} × ${cpu[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}`);
  console.log(`dataset: ${JSON.stringify(sizes)}; autocannon ${CONNECTIONS} connection(s) × ${DURATION} s; SQL replay × ${SQL_ITERATIONS}\n`);
  console.log(`load average ${os.loadavg()[0].toFixed(1)}; server CPU per request: the server runs in this process, the load in a child process\n`);
  console.log('| page | rows | SQL stmts | req | errors | req/s | server CPU per request | HTTP p50 | HTTP p95 | SQL p50 | SQL p95 | HTTP − SQL (p50) | HTTP / SQL (p50) |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.scenario} | ${r.rows} | ${r.statements} | ${r.requests} | ${r.errors} | ${r.rps} | ${r.cpuMs} ms | ${r.httpP50} ms | ${r.httpP95} ms | ${r.sqlP50} ms | ${r.sqlP95} ms | ${r.difference} ms | ${r.ratio} |`);
  }
  for (const r of results) {
    for (const p of r.plans) {
      console.log(`\n### ${r.scenario} — ${p.ms} ms\n\n\`\`\`sql\n${p.sql.replace(/'[0-9a-f-]{36}'/g, "'…'")}\n\`\`\`\n\n\`\`\`\n${p.plan}\n\`\`\``);
    }
  }
  const failed = results.filter((r) => r.httpP95 > 20 || r.difference > 5 || r.errors > 0);
  if (failed.length) console.log(`\nTargets missed (p95 ≤ 20 ms, HTTP p50 ≤ SQL p50 + 5 ms): ${failed.map((r) => r.scenario).join(', ')}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
