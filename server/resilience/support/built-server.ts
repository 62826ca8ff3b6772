import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort } from '../../src/infra/db/embedded-postgres.js';

export { freePort };

/**
 * Runs the built server (`server/dist/main.js`) as an operator would, against the real
 * PostgreSQL server of the machine (superuser, so faults can be injected with
 * pg_terminate_backend). Everything stays on loopback.
 */
const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const mainJs = path.join(serverDir, 'dist', 'main.js');
const cliJs = path.join(serverDir, 'dist', 'cli.js');

export const pgAdminUrl = process.env.RESILIENCE_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

type Env = Record<string, string | undefined>;

function assertBuilt(): void {
  if (!fs.existsSync(mainJs)) throw new Error(`${mainJs} is missing: run \`npm run build -w @e-mage/server\` first`);
}

async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: pgAdminUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export interface FreshDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A new database, migrated by the built CLI (the same path as an operator's `cli migrate`). */
export async function freshDatabase(): Promise<FreshDatabase> {
  const name = `emage_resilience_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`create database "${name}"`));
  const u = new URL(pgAdminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const migrated = await cli(['migrate'], { DATABASE_URL: url });
  if (migrated.code !== 0) throw new Error(`migrate failed (${migrated.code}): ${migrated.stderr}${migrated.stdout}`);
  return {
    url,
    name,
    drop: () => withAdmin((c) => c.query(`drop database if exists "${name}" with (force)`)).then(() => undefined),
  };
}

function baseEnv(port: number, dataDir: string): Env {
  // Only what a server needs from the parent: PATH and the like, never a DATABASE_URL or
  // SMTP_URL that would point a test at the wrong place.
  const keep = ['PATH', 'HOME', 'LANG', 'TMPDIR', 'TZ'];
  const env: Env = {};
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k];
  return { ...env, NODE_ENV: 'test', HOST: '127.0.0.1', PORT: String(port), SEED_DEMO: 'false', DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
}

function definedOnly(env: Env): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

export interface BuiltServer {
  url: string;
  port: number;
  pid: number;
  dataDir: string;
  output(): string;
  stop(): Promise<void>;
  kill9(): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function collect(child: ChildProcess): () => string {
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return () => out;
}

export async function startBuiltServer(env: Env, opts: { readyTimeoutMs?: number } = {}): Promise<BuiltServer> {
  assertBuilt();
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const dataDir = env.DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'emage-resilience-'));
  const child = spawn(process.execPath, [mainJs], { cwd: serverDir, env: definedOnly({ ...baseEnv(port, dataDir), ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
  const output = collect(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  let gone = false;
  void exited.then(() => (gone = true));
  for (;;) {
    if (gone) throw new Error(`the server exited before it was ready:\n${output()}`);
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server was not ready within ${opts.readyTimeoutMs ?? 30_000} ms:\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const waitExit = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { url, port, pid: child.pid ?? 0, dataDir, output, exited, stop: () => waitExit('SIGTERM'), kill9: () => waitExit('SIGKILL') };
}

export async function runUntilExit(env: Env, timeoutMs = 15_000): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  assertBuilt();
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const dataDir = env.DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'emage-resilience-'));
  return run(mainJs, [], { ...baseEnv(port, dataDir), ...env }, timeoutMs);
}

export async function cli(args: string[], env: Env, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  assertBuilt();
  const dataDir = env.DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'emage-resilience-'));
  const { code, stdout, stderr } = await run(cliJs, args, { ...baseEnv(0, dataDir), ...env }, timeoutMs);
  return { code, stdout, stderr };
}

function run(script: string, args: string[], env: Env, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: serverDir, env: definedOnly(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}
