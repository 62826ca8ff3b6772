// Replicas of the built server behind Debian's HAProxy, on loopback: for `npm run test:cluster`
// (server/cluster) and `npm run bench:load`. HAProxy runs the `defaults` and `backend portal`
// sections of infra/haproxy/haproxy.cfg as written, with a plain-HTTP loopback frontend instead
// of the TLS edge and the replicas' addresses instead of portal-a/portal-b (ADR 0116).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const mainJs = path.join(root, 'server', 'dist', 'main.js');
export const HAPROXY = process.env.HAPROXY_PATH ?? '/usr/sbin/haproxy';
export const HAPROXY_CFG = path.join(root, 'infra', 'haproxy', 'haproxy.cfg');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A TCP port nobody listens on now (the kernel's choice on 127.0.0.1). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** The named sections of an HAProxy configuration, as written (comments kept). */
function sections(cfg) {
  const out = new Map();
  let current;
  for (const line of cfg.split('\n')) {
    if (/^[a-z]/.test(line)) {
      current = line.trim();
      out.set(current, []);
    } else if (current) out.get(current).push(line);
  }
  return out;
}

/**
 * The test's configuration: infra/haproxy/haproxy.cfg's defaults and portal backend, its servers
 * replaced by the replicas; a loopback frontend that names the replica that answered
 * (X-Replica, for tests to know where a socket landed); a stats socket to read server states.
 */
export function clusterConfig({ port, replicas, statsSocket }) {
  const s = sections(fs.readFileSync(HAPROXY_CFG, 'utf8'));
  const defaults = s.get('defaults');
  const backend = s.get('backend portal');
  if (!defaults || !backend) throw new Error(`${HAPROXY_CFG} has no defaults or backend portal section`);
  const servers = replicas.map((r) => `  server ${r.name} ${r.host}:${r.port}`);
  return [
    'global',
    '  maxconn 8000',
    '  log stdout format raw local0 notice',
    `  stats socket ${statsSocket} mode 600 level admin`,
    '',
    'defaults',
    // Server state changes are logged (notice), not each request.
    ...defaults.filter((l) => !/option httplog/.test(l)),
    'frontend e-mage',
    `  bind 127.0.0.1:${port}`,
    '  http-request set-header X-Forwarded-For %[src]',
    '  http-response set-header X-Replica %s',
    '  default_backend portal',
    '',
    'backend portal',
    ...backend.filter((l) => !/^\s*server\s/.test(l)),
    ...servers,
    '',
  ].join('\n');
}

/** HAProxy's runtime API: one command, its whole answer. */
function runtime(socketPath, command) {
  return new Promise((resolve, reject) => {
    const c = net.connect(socketPath);
    let out = '';
    c.on('data', (d) => (out += d));
    c.on('end', () => resolve(out));
    c.on('error', reject);
    c.write(`${command}\n`);
  });
}

/**
 * Starts `count` replicas (127.0.0.2, 127.0.0.3, …) of server/dist/main.js on one database
 * (`databaseUrl`, migrated by the first replica), files under one shared STORAGE_DIR unless
 * `env` gives STORAGE_URL, and HAProxy in front on a free loopback port.
 */
export async function startCluster({ databaseUrl, count = 2, env = {}, log = false } = {}) {
  if (!fs.existsSync(mainJs)) throw new Error(`${mainJs} is missing: run \`npm run build -w @e-mage/server\` first`);
  if (!fs.existsSync(HAPROXY)) throw new Error(`${HAPROXY} is missing: apt-get install haproxy`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'emage-cluster-'));
  const storageDir = path.join(work, 'storage');
  fs.mkdirSync(storageDir);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const replicas = [];
  for (let i = 0; i < count; i++) {
    replicas.push(replica({ name: `portal-${String.fromCharCode(97 + i)}`, host: `127.0.0.${i + 2}`, port: await freePort(), work, storageDir, databaseUrl, publicUrl: url, env, log }));
  }
  // The first one alone: it applies the migrations.
  await replicas[0].start();
  await Promise.all(replicas.slice(1).map((r) => r.start()));

  const statsSocket = path.join(work, 'haproxy.sock');
  const cfgPath = path.join(work, 'haproxy.cfg');
  fs.writeFileSync(cfgPath, clusterConfig({ port, replicas, statsSocket }));
  const haproxy = spawn(HAPROXY, ['-db', '-f', cfgPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let haproxyOut = '';
  haproxy.stdout.on('data', (d) => (haproxyOut += d));
  haproxy.stderr.on('data', (d) => (haproxyOut += d));
  const haproxyExited = new Promise((r) => haproxy.once('exit', r));

  const cluster = {
    url,
    port,
    replicas,
    work,
    storageDir,
    haproxyPid: haproxy.pid,
    haproxyOutput: () => haproxyOut,
    /** HAProxy's view of each replica: UP, DOWN, MAINT, or a transition such as "UP 1/2". */
    async states() {
      const csv = await runtime(statsSocket, 'show stat');
      const states = {};
      for (const line of csv.split('\n')) {
        const f = line.split(',');
        if (f[0] === 'portal' && f[1] !== 'BACKEND') states[f[1]] = f[17];
      }
      return states;
    },
    /** Waits until HAProxy sees `name` in `state` (UP or DOWN). */
    async until(name, state, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const now = (await cluster.states().catch(() => ({})))[name];
        if (now === state) return;
        if (Date.now() > deadline) throw new Error(`${name} not ${state} in HAProxy within ${timeoutMs} ms (it is ${now})\n${haproxyOut}`);
        await sleep(100);
      }
    },
    async stop() {
      if (haproxy.exitCode === null) haproxy.kill('SIGTERM');
      await haproxyExited;
      await Promise.all(replicas.map((r) => r.stop()));
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
  try {
    const deadline = Date.now() + 15_000;
    while (!(await fetch(`${url}/readyz`).then((r) => r.ok, () => false))) {
      if (haproxy.exitCode !== null || Date.now() > deadline) throw new Error(`HAProxy did not start:\n${haproxyOut}`);
      await sleep(100);
    }
    for (const r of replicas) await cluster.until(r.name, 'UP');
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

function replica({ name, host, port, work, storageDir, databaseUrl, publicUrl, env, log }) {
  const url = `http://${host}:${port}`;
  let child;
  let exited = Promise.resolve();
  let output = '';
  const keep = ['PATH', 'HOME', 'LANG', 'TMPDIR', 'TZ'];
  const base = Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
  const r = {
    name,
    host,
    port,
    url,
    get pid() {
      return child?.pid;
    },
    output: () => output,
    /** Spawns the replica and waits until its /readyz answers 200. */
    async start() {
      output = '';
      child = spawn(process.execPath, [mainJs], {
        cwd: path.join(root, 'server'),
        env: {
          ...base,
          NODE_ENV: 'test',
          HOST: host,
          PORT: String(port),
          PUBLIC_URL: publicUrl,
          DATABASE_URL: databaseUrl,
          DATA_DIR: path.join(work, name),
          ...(env.STORAGE_URL ? {} : { STORAGE_DIR: storageDir }),
          SEED_DEMO: 'false',
          LOG_LEVEL: 'warn',
          TRUST_PROXY: '1',
          SHUTDOWN_DELAY_SECONDS: '5',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const c = child;
      c.stdout.on('data', (d) => {
        output += d;
        if (log) process.stdout.write(`[${name}] ${d}`);
      });
      c.stderr.on('data', (d) => {
        output += d;
        if (log) process.stderr.write(`[${name}] ${d}`);
      });
      exited = new Promise((resolve) => c.once('exit', (code, signal) => resolve({ code, signal })));
      const deadline = Date.now() + 120_000;
      for (;;) {
        if (c.exitCode !== null || c.signalCode !== null) throw new Error(`${name} exited before it was ready:\n${output}`);
        if (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1000) }).then((res) => res.ok, () => false)) return;
        if (Date.now() > deadline) throw new Error(`${name} was not ready within 120 s:\n${output}`);
        await sleep(100);
      }
    },
    /** SIGTERM (graceful: ADR 0112), then its exit. */
    async stop() {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill9() {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
    get exited() {
      return exited;
    },
  };
  return r;
}

/** CPU time (user + system, seconds) of a process so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident memory of a process now, in MB, from /proc/<pid>/status. */
export function rssMb(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024;
}
