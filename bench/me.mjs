#!/usr/bin/env node
// npm run bench:me — throughput of an authenticated `me` query (autocannon, 10 connections,
// 10 s) against the built server on embedded defaults, started on a free port.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { cpuSeconds, freePort } from './lib/measure.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = path.join(root, 'server', 'dist', 'main.js');
const DEMO = { email: 'claire.martin@demo.e-mage.fr', password: 'Demo-e-mage-2026' };

const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'emage-bench-me-'));
await fs.chmod(dataDir, 0o755);
const child = spawn(process.execPath, [MAIN], {
  env: { ...process.env, DATABASE_URL: '', SMTP_URL: '', PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: url, DATA_DIR: dataDir, LOG_LEVEL: 'warn', SEED_DEMO: 'true' },
  stdio: ['ignore', 'pipe', 'pipe'],
});
const exited = new Promise((r) => child.once('exit', r));
try {
  await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      // The demo exams are published in the background after "ready": measure once that
      // work is over, so the figure is the `me` query's alone.
      const seeding = out.includes('Publishing the demo exams');
      if (out.includes('is ready at') && (!seeding || /Demo exams published|could not be published/.test(out))) resolve();
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
  });

  const login = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { id } }', variables: { e: DEMO.email, p: DEMO.password } }),
  });
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  if (!cookie.includes('emage_session=')) throw new Error(`login failed: ${await login.text()}`);
  const body = JSON.stringify({ query: '{ me { id email displayName role sessionIdleExpiresAt } }' });
  const check = await (await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body })).json();
  if (!check.data?.me?.id) throw new Error(`me is not authenticated: ${JSON.stringify(check)}`);

  const cpuBefore = await cpuSeconds(child.pid);
  const result = await autocannon({
    url: `${url}/graphql`,
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body,
    connections: 10,
    duration: 10,
  });
  const cpuPerRequestMs = ((await cpuSeconds(child.pid)) - cpuBefore) * 1000 / Math.max(1, result.requests.total);
  const bad = result.non2xx + result.errors + result.timeouts;
  console.log(`node ${process.version}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, load average ${os.loadavg()[0].toFixed(1)}`);
  console.log(`authenticated me: ${Math.round(result.requests.average)} req/s average, latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${result.requests.total} requests, ${bad} non-2xx/errors/timeouts; server CPU ${cpuPerRequestMs.toFixed(2)} ms per request (its PostgreSQL not counted)`);
  if (bad > 0) process.exitCode = 1;
} finally {
  child.kill('SIGTERM');
  await exited;
  await fs.rm(dataDir, { recursive: true, force: true });
}
