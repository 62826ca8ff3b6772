#!/usr/bin/env node
// npm run bench:me — throughput of an authenticated `me` query (autocannon, 10 connections,
// 10 s) against the built server on embedded defaults, started on a free port, and against its
// floor (bench/lib/me-floor.mjs: bare Apollo Server 5 + express 5 whose context does one prepared
// lookup of the session) on the same database, in turns, in the same run. Prints ours / floor.
//
// Env: BENCH_DURATION (s per turn, default 10), BENCH_ROUNDS (turns of each, default 2),
// BENCH_SERVER_DIST (the built server, default server/dist), BENCH_CPU_PROF (a directory: the
// server runs under node --cpu-prof and writes its profile there on exit).
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
const PROFILE = process.env.BENCH_CPU_PROF;
const DEMO = { email: 'claire.martin@demo.e-mage.fr', password: 'Demo-e-mage-2026' };

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
    child.stderr.on('data', (d) => (out += d));
    child.once('exit', (code) => reject(new Error(`${args.at(-1)} exited with ${code}:\n${out}`)));
  });
  return { child, up, stop: async () => (child.kill('SIGTERM'), await exited) };
}

async function run(pid, url, headers, body) {
  const cpuBefore = await cpuSeconds(pid);
  const r = await autocannon({ url: `${url}/graphql`, method: 'POST', headers, body, connections: 10, duration: DURATION });
  const cpuMs = ((await cpuSeconds(pid)) - cpuBefore) * 1000 / Math.max(1, r.requests.total);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total, bad: r.non2xx + r.errors + r.timeouts, cpuMs };
}

const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'emage-bench-me-'));
await fs.chmod(dataDir, 0o755);
const ours = start(
  [...(PROFILE ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(PROFILE)] : []), path.join(DIST, 'main.js')],
  { ...process.env, DATABASE_URL: '', SMTP_URL: '', PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: url, DATA_DIR: dataDir, LOG_LEVEL: 'warn', SEED_DEMO: 'true' },
  // The demo exams are published in the background after "ready": measure once that work is
  // over, so the figure is the `me` query's alone.
  (out) => out.includes('is ready at') && (!out.includes('Publishing the demo exams') || /Demo exams published|could not be published/.test(out)),
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

  // The floor, on the server's embedded PostgreSQL (its port is in the data directory).
  const pgPort = (await fs.readFile(path.join(dataDir, 'postgres', 'emage.port'), 'utf8')).trim();
  const floorPort = await freePort();
  const floorUrl = `http://127.0.0.1:${floorPort}`;
  floor = start([path.join(root, 'bench', 'lib', 'me-floor.mjs'), `postgres://postgres:emage-embedded@127.0.0.1:${pgPort}/emage`, String(floorPort)], process.env, (out) => out.includes('floor ready'));
  await floor.up;
  const floorCheck = await (await fetch(`${floorUrl}/graphql`, { method: 'POST', headers, body })).json();
  if (floorCheck.data?.me?.id !== check.data.me.id) throw new Error(`the floor does not answer the same me: ${JSON.stringify(floorCheck)}`);

  const results = { ours: [], floor: [] };
  const windows = [];
  for (let i = 0; i < ROUNDS; i++) {
    // The monotonic clock V8's profile timestamps use (µs), to summarise the load's samples only.
    const from = Number(process.hrtime.bigint() / 1000n);
    results.ours.push(await run(ours.child.pid, url, headers, body));
    windows.push([from, Number(process.hrtime.bigint() / 1000n)]);
    results.floor.push(await run(floor.child.pid, floorUrl, headers, body));
  }
  if (PROFILE) {
    await fs.mkdir(PROFILE, { recursive: true });
    await fs.writeFile(path.join(PROFILE, 'windows.json'), JSON.stringify(windows));
  }
  const line = (name, r) =>
    `${name}: ${Math.round(r.rps)} req/s average, latency p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.total} requests, ${r.bad} non-2xx/errors/timeouts; server CPU ${r.cpuMs.toFixed(2)} ms per request`;
  console.log(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, load average ${os.loadavg()[0].toFixed(1)}; 10 connections × ${DURATION} s per turn, ${ROUNDS} turns each (PostgreSQL's CPU not counted)`);
  for (let i = 0; i < ROUNDS; i++) {
    console.log(`round ${i + 1}: ${line('authenticated me (ours)', results.ours[i])}`);
    console.log(`round ${i + 1}: ${line('floor (Apollo + express + one prepared lookup)', results.floor[i])}`);
  }
  const rps = (k) => median(results[k].map((r) => r.rps));
  const cpu = (k) => median(results[k].map((r) => r.cpuMs));
  console.log(
    `ours / floor: ${((100 * rps('ours')) / rps('floor')).toFixed(0)} % of the floor's requests/s (median ${Math.round(rps('ours'))} / ${Math.round(rps('floor'))}); ` +
      `server CPU per request ${cpu('ours').toFixed(2)} / ${cpu('floor').toFixed(2)} ms (floor / ours ${((100 * cpu('floor')) / cpu('ours')).toFixed(0)} %); target ≥ 80 %`,
  );
  if ([...results.ours, ...results.floor].some((r) => r.bad > 0)) process.exitCode = 1;
} finally {
  await floor?.stop();
  await ours.stop();
  await fs.rm(dataDir, { recursive: true, force: true });
}
