import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, runUntilExit, startBuiltServer, type FreshDatabase } from './support/built-server.js';

/**
 * The production misconfiguration matrix (docs/adr/0093): the built server, started with
 * NODE_ENV=production and one thing wrong, must refuse to start within seconds and name the
 * variable, before it opens a database, a port or a mail catcher. A complete environment starts,
 * and has no development mailbox.
 */
describe('production fails closed', () => {
  let work: string;
  let db: FreshDatabase;
  let relay: SMTPServer;
  let good: Record<string, string | undefined>;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'emage-fail-closed-'));
    // A relay that speaks TLS from the first byte (smtps://), on loopback, with a certificate
    // made for this run.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', path.join(work, 'key.pem'), '-out', path.join(work, 'cert.pem')], { stdio: 'ignore' });
    relay = new SMTPServer({ secure: true, key: fs.readFileSync(path.join(work, 'key.pem')), cert: fs.readFileSync(path.join(work, 'cert.pem')), authOptional: true, onData: (stream, _s, done) => stream.resume().on('end', () => done()) });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const storage = path.join(work, 'storage');
    fs.mkdirSync(storage);
    db = await freshDatabase();
    good = {
      NODE_ENV: 'production',
      PUBLIC_URL: 'https://imagerie.example.org',
      DATABASE_URL: db.url,
      SMTP_URL: `smtps://127.0.0.1:${(relay.server.address() as AddressInfo).port}`,
      TRUST_PROXY: '1',
      STORAGE_DIR: storage,
      // Unset, not the harness's false: production's own default is what is checked.
      SEED_DEMO: undefined,
    };
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => (relay ? relay.close(() => resolve()) : resolve()));
    await db?.drop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const cases: Array<[string, string, Record<string, string | undefined>]> = [
    ['no PUBLIC_URL', 'PUBLIC_URL', { PUBLIC_URL: undefined }],
    ['PUBLIC_URL over plain HTTP', 'PUBLIC_URL', { PUBLIC_URL: 'http://imagerie.example.org' }],
    ['no SMTP_URL (the catcher and /dev/mailbox would serve reset links)', 'SMTP_URL', { SMTP_URL: undefined }],
    ['no DATABASE_URL (the embedded PostgreSQL)', 'DATABASE_URL', { DATABASE_URL: undefined }],
    ['no TRUST_PROXY', 'TRUST_PROXY', { TRUST_PROXY: undefined }],
    ['TRUST_PROXY=true (every hop)', 'TRUST_PROXY', { TRUST_PROXY: 'true' }],
    ['no STORAGE_DIR (files under DATA_DIR)', 'STORAGE_DIR', { STORAGE_DIR: undefined }],
    ['a relative STORAGE_DIR', 'STORAGE_DIR', { STORAGE_DIR: 'storage' }],
    ['a STORAGE_DIR that is not mounted', 'STORAGE_DIR', { STORAGE_DIR: '/nonexistent/e-mage/storage' }],
    ['SEED_DEMO=true (demo accounts with a published password)', 'SEED_DEMO', { SEED_DEMO: 'true' }],
  ];

  it.each(cases)('%s: exits non-zero within seconds, naming %s', async (_label, variable, change) => {
    const dataDir = fs.mkdtempSync(path.join(work, 'data-'));
    const started = Date.now();
    const run = await runUntilExit({ ...good, ...change, DATA_DIR: dataDir }, 10_000);
    const ms = Date.now() - started;
    expect(run.timedOut, run.stdout).toBe(false);
    expect(run.code).not.toBe(0);
    expect(ms).toBeLessThan(5_000);
    expect(run.stderr).toMatch(new RegExp(`^\\s+- ${variable}\\b`, 'm'));
    // Refused before anything started: no embedded database, no "ready" banner.
    expect(fs.readdirSync(dataDir)).toEqual([]);
    expect(run.stdout).not.toContain('is ready at');
  });

  it('reports every problem at once when nothing is set', async () => {
    const run = await runUntilExit({ NODE_ENV: 'production' }, 10_000);
    expect(run.code).not.toBe(0);
    for (const variable of ['PUBLIC_URL', 'DATABASE_URL', 'SMTP_URL', 'TRUST_PROXY', 'STORAGE_DIR']) expect(run.stderr).toMatch(new RegExp(`^\\s+- ${variable}\\b`, 'm'));
  });

  it('starts with a complete environment: no development mailbox, HSTS, no demo accounts', async () => {
    const server = await startBuiltServer(good);
    try {
      for (const route of ['/dev/mailbox', '/dev/mailbox/messages']) {
        const res = await fetch(`${server.url}${route}`, { headers: { accept: 'text/html,application/json' } });
        expect(res.status, route).toBe(404);
      }
      const config = await fetch(`${server.url}/api/config`);
      expect(((await config.json()) as { devMailbox: string | null }).devMailbox).toBeNull();
      expect(config.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
      expect(server.output()).not.toMatch(/Demo accounts|Dev mailbox/);
    } finally {
      await server.stop();
    }
    // Apollo's own SIGTERM handler (on outside NODE_ENV=test) once kept production from exiting.
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });
});
