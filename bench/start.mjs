#!/usr/bin/env node
// npm run bench:start — time from spawning the built server on embedded defaults to its
// "ready" line and to the first /readyz 200, with an existing data directory and a fresh one.
// Usage: node bench/start.mjs [runs=5]
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, freePort, median } from './lib/measure.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = path.join(root, 'server', 'dist', 'main.js');
const RUNS = Number(process.argv[2] ?? 5);

/** One start: ms to the "ready" line and to /readyz 200, then a clean SIGTERM stop. */
async function startOnce(dataDir) {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, DATABASE_URL: '', SMTP_URL: '', PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let readyLine;
  child.stdout.on('data', (d) => {
    out += d;
    if (readyLine === undefined && out.includes('is ready at')) readyLine = performance.now() - t0;
  });
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise((r) => child.once('exit', r));
  let readyz;
  const deadline = Date.now() + 120_000;
  while (readyz === undefined) {
    if (child.exitCode !== null) throw new Error(`server exited:\n${out}`);
    if (Date.now() > deadline) throw new Error(`server not ready after 120 s:\n${out}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.status === 200) readyz = performance.now() - t0;
    } catch {
      // not listening yet
    }
    if (readyz === undefined) await new Promise((r) => setTimeout(r, 10));
  }
  while (readyLine === undefined && child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
  const cpu = await cpuSeconds(child.pid);
  child.kill('SIGTERM');
  await exited;
  return { readyLine, readyz, cpu };
}

const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;

async function series(label, makeDir) {
  const results = [];
  for (let i = 0; i < RUNS; i++) {
    const dir = await makeDir();
    results.push(await startOnce(dir));
  }
  const line = results.map((r) => fmt(r.readyLine)).join(', ');
  const cpu = median(results.map((r) => r.cpu)).toFixed(2);
  console.log(`${label}: ready line median ${fmt(median(results.map((r) => r.readyLine)))}, /readyz 200 median ${fmt(median(results.map((r) => r.readyz)))}, server CPU to ready median ${cpu} s  (ready line per run: ${line})`);
  return results;
}

const base = await fs.mkdtemp(path.join(os.tmpdir(), 'emage-bench-start-'));
await fs.chmod(base, 0o755);
try {
  console.log(`node ${process.version}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${RUNS} runs each, load average ${os.loadavg()[0].toFixed(1)}`);
  const existing = path.join(base, 'existing');
  await startOnce(existing); // creates and seeds it; not counted
  await series('existing data dir', async () => existing);
  let n = 0;
  await series('fresh data dir   ', async () => path.join(base, `fresh-${n++}`));
} finally {
  await fs.rm(base, { recursive: true, force: true });
}
