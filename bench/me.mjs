#!/usr/bin/env node
// npm run bench:me — throughput and server CPU of an authenticated `me` query, then of the
// dashboard's first page on the demo data (autocannon, 10 connections, 10 s), against the built
// server on embedded defaults, started on a free port, and against their floors
// (bench/lib/me-floor.mjs: bare Apollo Server 5 + express 5 whose context does one prepared
// lookup of the session; for the dashboard, that lookup then the very SQL statements the server
// sent for the page, without GraphQL) on the same database, in turns, in the same run. Prints
// ours / floor.
//
// Env: BENCH_DURATION (s per turn, default 10), BENCH_ROUNDS (turns of each, default 2),
// BENCH_WARMUP (s of unmeasured load on each server before each scenario's turns, default 3),
// BENCH_SERVER_DIST (the built server, default server/dist), BENCH_CPU_PROF (a directory: both
// servers run under node --cpu-prof and write their profiles in its ours/ and floor/ on exit;
// node bench/cpuprofile-summary.mjs DIR/ours/*.cpuprofile sums them), BENCH_ONLY (me or
// dashboard: that scenario only, e.g. to profile it alone).
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { cpuSeconds, freePort, median } from './lib/measure.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.resolve(root, process.env.BENCH_SERVER_DIST ?? path.join('server', 'dist'));
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const PROFILE = process.env.BENCH_CPU_PROF;
const ONLY = process.env.BENCH_ONLY;
const DEMO = { email: 'claire.martin@demo.e-mage.fr', password: 'Demo-e-mage-2026' };

/** Node's flags to profile a server into BENCH_CPU_PROF/<name>, if asked. */
const profiled = (name) => (PROFILE ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(PROFILE, name)] : []);

/** Starts `args` with node, resolves once `ready(stdout so far)` holds; rejects if it exits first. */
function start(args, env, ready) {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((r) => child.once('exit', r));
  const up = new Promise((resolve, reject) => {
    let out = '';
    const read = (d) => {
      out += d;
      if (ready(out)) resolve();
    };
    child.stdout.on('data', read);
    child.stderr.on('data', (d) => {
      out += d;
      process.stderr.write(d);
    });
    child.once('exit', (code) => reject(new Error(`${args.at(-1)} exited with ${code}:\n${out}`)));
  });
  return { child, up, stop: async () => (child.kill('SIGTERM'), await exited) };
}

async function run(pid, url, headers, body) {
  const cpuBefore = await cpuSeconds(pid);
  const r = await autocannon({ url, method: 'POST', headers, body, connections: 10, duration: DURATION });
  const cpuMs = ((await cpuSeconds(pid)) - cpuBefore) * 1000 / Math.max(1, r.requests.total);
  const bad = r.non2xx + r.errors + r.timeouts;
  if (bad) console.error(`${url}: ${bad} bad answers, status codes ${JSON.stringify(r.statusCodeStats)}, ${r.errors} errors, ${r.timeouts} timeouts`);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total, bad, cpuMs };
}

const DASHBOARD = `query Dashboard($name: String) { patients(filter: { name: $name }, first: 25) {
  edges { cursor node { id displayName birthName birthDate sex lastExamAt lastExamTitle hasUnopened } }
  pageInfo { hasNextPage endCursor } } }`;

/**
 * The SQL statements one `body` request sends (the session's lookup and touch left out: the
 * floor does its own lookup), written to `file` for the floor; the page's row count.
 */
async function captureStatements(databaseUrl, headers, body, file) {
  const { startInProcessServer } = await import('./lib/in-process-server.mjs');
  const { url, started, knex } = await startInProcessServer(databaseUrl, DIST);
  const statements = [];
  const onQuery = (q) => statements.push({ text: q.sql, values: /\$\d/.test(q.sql) ? q.bindings : undefined });
  try {
    knex.on('query', onQuery);
    const answer = await (await fetch(`${url}/graphql`, { method: 'POST', headers, body })).json();
    knex.off('query', onQuery);
    if (!answer.data?.patients?.edges?.length) throw new Error(`the dashboard is empty: ${JSON.stringify(answer).slice(0, 300)}`);
    const replay = statements.filter((q) => !/from session s join app_user u|^\s*update "session"/.test(q.text));
    await fs.writeFile(file, JSON.stringify(replay));
    const { edges, pageInfo } = answer.data.patients;
    return { patients: edges.length, sqlRows: edges.length + (pageInfo.hasNextPage ? 1 : 0), statements: statements.length };
  } finally {
    await started.stop();
  }
}

const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'emage-bench-me-'));
await fs.chmod(dataDir, 0o755);
const ours = start(
  [...profiled('ours'), path.join(DIST, 'main.js')],
  { ...process.env, DATABASE_URL: '', SMTP_URL: '', PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: url, DATA_DIR: dataDir, LOG_LEVEL: 'warn', SEED_DEMO: 'true',
    // The /graphql budget (300 at once, then 50 a second) still runs on every request, scaled so
    // that an idle 2-core machine's rate is measured rather than the budget's 429s.
    RATE_LIMIT_SCALE: '1000' },
  // The demo exams are published in the background after "ready" (the line saying so may come
  // in a later chunk than "ready"): measure once that work is over, so the figure is the `me`
  // query's alone and the dashboard's page is the one its floor replays.
  (out) => out.includes('is ready at') && /Demo exams published|could not be published/.test(out),
);
let floor;
try {
  await ours.up;
  const login = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { id } }', variables: { e: DEMO.email, p: DEMO.password } }),
  });
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  if (!cookie.includes('emage_session=')) throw new Error(`login failed: ${await login.text()}`);
  const headers = { 'content-type': 'application/json', cookie };
  const body = JSON.stringify({ query: '{ me { id email displayName role sessionIdleExpiresAt } }' });
  const check = await (await fetch(`${url}/graphql`, { method: 'POST', headers, body })).json();
  if (!check.data?.me?.id) throw new Error(`me is not authenticated: ${JSON.stringify(check)}`);

  // The dashboard's first page on the demo data: the SQL statements it sends, captured from a
  // second instance of the built server in this process (knex's 'query' events), for its floor.
  const pgPort = (await fs.readFile(path.join(dataDir, 'postgres', 'emage.port'), 'utf8')).trim();
  const databaseUrl = `postgres://postgres:emage-embedded@127.0.0.1:${pgPort}/emage`;
  const dashboard = JSON.stringify({ query: DASHBOARD, variables: {} });
  const statementsFile = path.join(dataDir, 'dashboard-statements.json');
  const dashboardCheck = await captureStatements(databaseUrl, headers, dashboard, statementsFile);

  // The floor, on the server's embedded PostgreSQL.
  const floorPort = await freePort();
  const floorUrl = `http://127.0.0.1:${floorPort}`;
  floor = start([...profiled('floor'), path.join(root, 'bench', 'lib', 'me-floor.mjs'), databaseUrl, String(floorPort), statementsFile], process.env, (out) => out.includes('floor ready'));
  await floor.up;
  const floorCheck = await (await fetch(`${floorUrl}/graphql`, { method: 'POST', headers, body })).json();
  if (floorCheck.data?.me?.id !== check.data.me.id) throw new Error(`the floor does not answer the same me: ${JSON.stringify(floorCheck)}`);
  const floorSql = await (await fetch(`${floorUrl}/sql`, { method: 'POST', headers, body: dashboard })).json();
  if (floorSql.data?.at(-1)?.length !== dashboardCheck.sqlRows) throw new Error(`the floor's dashboard SQL does not give the page's ${dashboardCheck.sqlRows} rows: ${JSON.stringify(floorSql).slice(0, 300)}`);

  const allScenarios = [
    { key: 'me', name: 'authenticated me', ours: `${url}/graphql`, floor: `${floorUrl}/graphql`, body, floorName: 'Apollo + express + one prepared lookup' },
    { key: 'dashboard', name: `dashboard first page, demo data (${dashboardCheck.patients} patients)`, ours: `${url}/graphql`, floor: `${floorUrl}/sql`, body: dashboard, floorName: `express + the same ${dashboardCheck.statements} SQL statements, no GraphQL` },
  ];
  const scenarios = ONLY ? allScenarios.filter((sc) => sc.key === ONLY) : allScenarios;
  // The load's intervals on the monotonic clock V8's profile timestamps use (µs), so that
  // bench/cpuprofile-summary.mjs counts their samples only.
  const windows = { ours: [], floor: [] };
  const now = () => Number(process.hrtime.bigint() / 1000n);
  console.log(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, load average ${os.loadavg()[0].toFixed(1)}; 10 connections × ${DURATION} s per turn, ${ROUNDS} turns each, ours then floor, after ${WARMUP} s of unmeasured load on each (PostgreSQL's CPU not counted)`);
  for (const sc of scenarios) {
    const results = { ours: [], floor: [] };
    // Each server first answers WARMUP seconds of the same load, not measured: the JIT compiles
    // the request's path (ours has more code to compile), so that the turns measure the steady
    // state, not the first turn's compilation.
    for (const name of WARMUP > 0 ? ['ours', 'floor'] : []) {
      await autocannon({ url: sc[name], method: 'POST', headers, body: sc.body, connections: 10, duration: WARMUP });
    }
    for (let i = 0; i < ROUNDS; i++) {
      for (const [name, pid] of [['ours', ours.child.pid], ['floor', floor.child.pid]]) {
        const from = now();
        results[name].push(await run(pid, sc[name], headers, sc.body));
        windows[name].push([from, now()]);
      }
    }
    const line = (name, r) =>
      `${name}: ${Math.round(r.rps)} req/s average, latency p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.total} requests, ${r.bad} non-2xx/errors/timeouts; server CPU ${r.cpuMs.toFixed(2)} ms per request`;
    for (let i = 0; i < ROUNDS; i++) {
      console.log(`${sc.name}, round ${i + 1}: ${line('ours', results.ours[i])}`);
      console.log(`${sc.name}, round ${i + 1}: ${line(`floor (${sc.floorName})`, results.floor[i])}`);
    }
    const rps = (k) => median(results[k].map((r) => r.rps));
    const cpu = (k) => median(results[k].map((r) => r.cpuMs));
    console.log(
      `${sc.name}, ours / floor: ${((100 * rps('ours')) / rps('floor')).toFixed(0)} % of the floor's requests/s (median ${Math.round(rps('ours'))} / ${Math.round(rps('floor'))}); ` +
        `server CPU per request ${cpu('ours').toFixed(2)} / ${cpu('floor').toFixed(2)} ms: the floor's is ${((100 * cpu('floor')) / cpu('ours')).toFixed(0)} % of ours`,
    );
    if ([...results.ours, ...results.floor].some((r) => r.bad > 0)) process.exitCode = 1;
  }
  for (const name of PROFILE ? ['ours', 'floor'] : []) {
    await fs.mkdir(path.join(PROFILE, name), { recursive: true });
    await fs.writeFile(path.join(PROFILE, name, 'windows.json'), JSON.stringify(windows[name]));
  }
} finally {
  await floor?.stop();
  await ours.stop();
  await fs.rm(dataDir, { recursive: true, force: true });
}
