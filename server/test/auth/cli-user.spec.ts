import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/config.js';
import { createTestDatabase, errorCode, randomRpps, startTestServer, type TestDatabase, type TestServer } from '../harness.js';
import { tokenIn } from './db-probe.js';

const CLI = path.join(repoRoot, 'server', 'dist', 'cli.js');
const LOGIN = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { role rpps } }`;

/** `npm run cli -- …` as an operator runs it: the built CLI, against the test database. */
function cli(args: string[], databaseUrl: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH, NODE_ENV: 'test', DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', PUBLIC_URL: 'https://portail.example.fr' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('CLI: user create (built server/dist/cli.js; `npm test` builds it first)', () => {
  let db: TestDatabase;
  let t: TestServer;
  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npx turbo run build --filter=@e-mage/server\` first`);
    db = await createTestDatabase();
    t = await startTestServer({ DATABASE_URL: db.url });
  });
  afterAll(async () => {
    await t?.stop();
    await db?.drop();
  });

  it('with --password: an active account that logs in at once', async () => {
    const email = `cli-admin-${Date.now()}@test.e-mage.fr`;
    const r = await cli(['user', 'create', '--email', email, '--role', 'ADMIN', '--first-name', 'Ada', '--last-name', 'Min', '--password', 'Operator-chosen-pass-1'], db.url);
    expect(r.out).toContain(`Created ADMIN ${email}`);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('Operator-chosen-pass-1');
    expect(await t.client().mustQuery(LOGIN, { e: email, p: 'Operator-chosen-pass-1' })).toEqual({ login: { role: 'ADMIN', rpps: null } });
  });

  it('without --password: prints a single-use activation link and the account works once activated', async () => {
    const email = `cli-physician-${Date.now()}@test.e-mage.fr`;
    const rpps = randomRpps();
    const r = await cli(['user', 'create', '--email', email, '--role', 'physician', '--first-name', 'Paul', '--last-name', 'Cli', '--rpps', rpps], db.url);
    expect(r.code).toBe(0);
    expect(r.out).toContain('https://portail.example.fr/activation#token=');
    const token = tokenIn(r.out, 'activation');
    expect(errorCode(await t.client().query(LOGIN, { e: email, p: 'Physician-own-pass-22' }))).toBe('INVALID_CREDENTIALS');
    await t.client().mustQuery(`mutation($t: String!, $p: String!) { activateAccount(token: $t, password: $p) }`, { t: token, p: 'Physician-own-pass-22' });
    expect(await t.client().mustQuery(LOGIN, { e: email, p: 'Physician-own-pass-22' })).toEqual({ login: { role: 'PHYSICIAN', rpps } });
  });

  it.each([
    [['--role', 'PHYSICIAN', '--rpps', '10000000000'], /RPPS/],
    [['--role', 'WIZARD'], /--role/],
  ])('refuses bad input %j with a clear message and a non-zero exit', async (extra, message) => {
    const email = `cli-bad-${Date.now()}@test.e-mage.fr`;
    const r = await cli(['user', 'create', '--email', email, '--first-name', 'B', '--last-name', 'Ad', ...extra], db.url);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(message);
    expect(errorCode(await t.client().query(LOGIN, { e: email, p: 'whatever-password' }))).toBe('INVALID_CREDENTIALS');
  });
});
