import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { pino, type Level } from 'pino';
import { inject } from 'vitest';
import { startServer, forkEm, type Started, type StartOptions } from '../src/bootstrap.js';
import { loadConfig } from '../src/config.js';
import { freePort } from '../src/infra/db/embedded-postgres.js';
import { createLogger } from '../src/infra/logger.js';
import { startSmtpCatcher, type CaughtMail, type SmtpCatcher } from '../src/infra/mail/smtp-catcher.js';
import { createUser } from '../src/modules/auth/auth.service.js';
import { totpCode } from '../src/modules/auth/account/totp.js';
import { Role } from '../src/modules/auth/user.entity.js';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A fresh, migrated database of its own (a clone of the run's template). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `${inject('databasePrefix')}${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`create database "${name}" template "${inject('templateDatabase')}"`));
  const u = new URL(inject('pgAdminUrl'));
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    drop: () => admin((c) => c.query(`drop database if exists "${name}" with (force)`)).then(() => undefined),
  };
}

export interface TestServer {
  url: string;
  started: Started;
  deps: Started['services']['deps'];
  db: TestDatabase;
  catcher: SmtpCatcher;
  storageDir: string;
  client(): GqlClient;
  /** Creates an active user with a password and returns a client logged in as them. */
  login(role: Role, overrides?: Partial<{ email: string; rpps: string; firstName: string; lastName: string }>): Promise<{ client: GqlClient; userId: string; email: string }>;
  waitForMail(predicate: (m: CaughtMail) => boolean, timeoutMs?: number): Promise<CaughtMail>;
  stop(): Promise<void>;
}

export const TEST_PASSWORD = 'Correct-horse-battery-42';

/**
 * The real server on a free loopback port, with its own database, its own SMTP catcher and
 * storage directory. `env` overrides configuration (e.g. SESSION_IDLE_MINUTES).
 */
export async function startTestServer(env: Record<string, string> = {}, opts: StartOptions = {}): Promise<TestServer> {
  const db = env.DATABASE_URL ? { url: env.DATABASE_URL, name: '', drop: async () => undefined } : await createTestDatabase();
  const catcher = await startSmtpCatcher();
  const storageDir = await fs.mkdtemp(path.join(os.tmpdir(), 'emage-storage-'));
  const port = await freePort();
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATABASE_URL: db.url,
    SMTP_URL: catcher.url,
    // The catcher speaks plaintext only: the opt-in an operator would need for such a relay.
    SMTP_ALLOW_PLAINTEXT: 'true',
    // An s3:// STORAGE_URL in env replaces the directory (both set is a configuration error).
    ...(env.STORAGE_URL ? {} : { STORAGE_DIR: storageDir }),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SEED_DEMO: 'false',
    RATE_LIMIT_SCALE: '100',
    ...env,
  });
  const started = await startServer(config, { logger: createLogger(config.logLevel), poolMax: 10, outbox: { pollMs: 100, backoffMs: 200, ...opts.outbox }, ...opts });
  const url = `http://127.0.0.1:${port}`;
  let counter = 0;
  const server: TestServer = {
    url,
    started,
    deps: started.services.deps,
    db,
    catcher,
    storageDir,
    client: () => new GqlClient(url),
    async login(role, overrides = {}) {
      counter++;
      const email = overrides.email ?? `${role.toLowerCase()}${counter}-${randomBytes(3).toString('hex')}@test.e-mage.fr`;
      const { user } = await createUser(forkEm(started.services.deps), config, {
        email,
        role,
        firstName: overrides.firstName ?? 'Test',
        lastName: overrides.lastName ?? `User${counter}`,
        rpps: role === Role.PHYSICIAN ? overrides.rpps ?? randomRpps() : null,
        password: TEST_PASSWORD,
      });
      const client = new GqlClient(url);
      const login = await client.query(`mutation($e: String!, $p: String!) { login(email: $e, password: $p) { id } }`, { e: email, p: TEST_PASSWORD });
      if (login.errors?.[0]?.extensions?.code === 'SECOND_FACTOR_ENROLMENT_REQUIRED') {
        // A role that must have a second factor (staff in production, ADR 0127): enrol an
        // authenticator app as the person would at that step, which opens the session.
        const { startTotpEnrolment } = await client.mustQuery(`mutation { startTotpEnrolment { secret } }`);
        await client.mustQuery(`mutation($c: String!) { confirmTotpEnrolment(code: $c) { me { id } } }`, { c: totpCode(startTotpEnrolment.secret, Date.now()) });
      } else if (login.errors?.length) {
        throw new Error(`GraphQL errors: ${JSON.stringify(login.errors)}`);
      }
      return { client, userId: user.id, email };
    },
    async waitForMail(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = catcher.messages().find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error('Expected e-mail did not arrive');
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      await started.stop();
      await catcher.stop();
      await db.drop();
      await fs.rm(storageDir, { recursive: true, force: true });
    },
  };
  return server;
}

/** A valid RPPS (Luhn) that is unlikely to collide within a test database. */
export function randomRpps(): string {
  const body = `1${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`;
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    let d = Number(body[9 - i]) * (i % 2 === 0 ? 2 : 1);
    if (d > 9) d -= 9;
    sum += d;
  }
  return body + String((10 - (sum % 10)) % 10);
}

export interface GqlResult<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> & { code?: string } }>;
}

/** A GraphQL-over-HTTP client with a cookie jar, like a browser tab. */
export class GqlClient {
  cookies = new Map<string, string>();
  headers: Record<string, string> = {};

  constructor(readonly baseUrl: string) {}

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  storeCookies(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i);
      const value = pair!.slice(i + 1);
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async fetch(pathname: string, init: RequestInit = {}): Promise<Response> {
    const res = await fetch(this.baseUrl + pathname, {
      ...init,
      headers: { ...(this.cookies.size ? { cookie: this.cookieHeader() } : {}), ...this.headers, ...(init.headers as Record<string, string>) },
      redirect: 'manual',
    });
    this.storeCookies(res);
    return res;
  }

  async query<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}): Promise<GqlResult<T>> {
    const res = await this.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as GqlResult<T>;
    return { ...body, status: res.status };
  }

  /** Fails the test with the server's errors if any. */
  async mustQuery<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const r = await this.query<T>(query, variables);
    if (r.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(r.errors)}`);
    return r.data as T;
  }
}

export function errorCode(r: GqlResult): string | undefined {
  return r.errors?.[0]?.extensions?.code;
}

/**
 * A plain pino logger (none of the application's redaction) that keeps every line it is given,
 * at `level` and above: a spec that searches it for a secret proves the code never hands the
 * secret to the logger, not that a filter caught it.
 */
export function capturingLogger(level: Level = 'trace'): { logger: pino.Logger; text: () => string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino({ level }, stream), text: () => lines.join('') };
}
