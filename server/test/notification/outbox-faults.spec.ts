import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/infra/db/embedded-postgres.js';
import { initOrm } from '../../src/infra/db/orm.js';
import { createLogger } from '../../src/infra/logger.js';
import { createMailer } from '../../src/infra/mail/mailer.js';
import { OutboxWorker, enqueueMail } from '../../src/infra/mail/outbox.js';
import { startSmtpCatcher, type SmtpCatcher } from '../../src/infra/mail/smtp-catcher.js';
import { loadConfig } from '../../src/config.js';
import '../../src/modules/notification/notification.service.js';
import { createTestDatabase, startTestServer, type TestServer } from '../harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function queue(t: { deps: TestServer['deps'] }, n: number, prefix: string): Promise<void> {
  const em = t.deps.orm.em.fork();
  await em.transactional(async (tx) => {
    for (let i = 0; i < n; i++) {
      await enqueueMail(tx as never, {
        to: `doctor${i}@test.e-mage.fr`,
        template: 'notification.exam-available',
        payload: { notificationId: `${prefix}-${i}` },
        idempotencyKey: `${prefix}-${i}`,
      });
    }
  });
}

describe('mail delivery survives faults (transactional outbox)', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  it('with the SMTP server down, queued e-mails are delivered once it returns: none lost, none doubled', async () => {
    const smtpPort = await freePort();
    const t = await startTestServer({ SMTP_URL: `smtp://127.0.0.1:${smtpPort}` });
    cleanups.push(() => t.stop());
    await queue(t, 5, 'down');

    const em = t.deps.orm.em.fork();
    const failedAttempts = async () =>
      Number((await em.getConnection().execute(`select count(*)::int as n from outbox_message where attempts > 0 and last_error is not null and sent_at is null`))[0]?.n);
    await until(async () => (await failedAttempts()) === 5, 10_000, 'failed delivery attempts');

    const catcher: SmtpCatcher = await startSmtpCatcher({ port: smtpPort });
    cleanups.push(() => catcher.stop());
    await until(() => catcher.messages().length >= 5, 20_000, 'delivery after the SMTP server returns');
    // Let the worker poll a few more times: nothing may be sent twice.
    await t.deps.outbox.drainOnce();
    await new Promise((r) => setTimeout(r, 500));
    const ids = catcher.messages().map((m) => m.headers['message-id']);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
    const pending = await em.getConnection().execute(`select count(*)::int as n from outbox_message where sent_at is null`);
    expect(pending[0]?.n).toBe(0);
  });

  it('a replica killed while sending does not lose the message, and it is sent once', async () => {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    // An SMTP server that accepts the message data but never answers: the replica is mid-send.
    let dataStarted = false;
    const stalling = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream) {
        dataStarted = true;
        stream.resume();
      },
    });
    const stallPort = await freePort();
    await new Promise<void>((r) => stalling.listen(stallPort, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => stalling.close(() => r())));

    const orm = await initOrm(db.url, 2);
    cleanups.push(() => orm.close(true));
    await queue({ deps: { orm } as TestServer['deps'] }, 1, 'killed');

    const child = spawn(process.execPath, [path.join(here, 'outbox-replica.child.mjs'), db.url, `smtp://127.0.0.1:${stallPort}`], { stdio: 'pipe' });
    cleanups.push(async () => child.kill('SIGKILL'));
    await until(() => dataStarted, 15_000, 'the replica to start sending');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    // Another replica takes over once the dead one's claim has expired (its lease: 4/3 of its 3 s send deadline).
    const catcher = await startSmtpCatcher();
    cleanups.push(() => catcher.stop());
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: db.url, SMTP_URL: catcher.url, SEED_DEMO: 'false' });
    const survivor = new OutboxWorker(orm, createMailer(catcher.url, config.mailFrom, { loopbackCatcher: true }), config, createLogger('silent'), { pollMs: 50 });
    survivor.start();
    cleanups.push(() => survivor.stop());
    await until(() => catcher.messages().length >= 1, 20_000, 'the surviving replica to send the message');
    await new Promise((r) => setTimeout(r, 300));
    expect(catcher.messages()).toHaveLength(1);
    expect(catcher.messages()[0]!.subject).toContain('nouvel examen');
  });
});
