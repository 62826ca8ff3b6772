import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { startFaultyRelay, relayTls, type FaultyRelay } from '../../resilience/support/smtp-faults.js';
import { createLogger } from '../../src/infra/logger.js';
import { createMailer, MailSendError } from '../../src/infra/mail/mailer.js';
import { OutboxWorker, enqueueMail } from '../../src/infra/mail/outbox.js';
import { initOrm } from '../../src/infra/db/orm.js';
import { loadConfig } from '../../src/config.js';
import '../../src/modules/notification/notification.service.js';
import { createTestDatabase, startTestServer, type TestServer } from '../harness.js';

const mail = { subject: 'Test', text: 'Bonjour', html: '<p>Bonjour</p>' };

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function queue(t: Pick<TestServer, 'deps'>, n: number, prefix: string): Promise<void> {
  await t.deps.orm.em.fork().transactional(async (tx) => {
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

/**
 * Our sessions of the test database that have sat inside a transaction doing nothing for more
 * than 100 ms (between two statements of a short transaction a session is idle for microseconds).
 */
async function heldTransactions(t: TestServer): Promise<string[]> {
  const rows = await t.deps.orm.em.fork().getConnection().execute<{ query: string }[]>(
    `select query from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'
        and now() - state_change > interval '100 milliseconds' and pid <> pg_backend_pid()`,
  );
  return rows.map((r) => r.query);
}

describe('mail to the relay: TLS required, timeouts, no transaction held while sending (ADR 0101)', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });
  const relay = async (opts: Parameters<typeof startFaultyRelay>[0]): Promise<FaultyRelay> => {
    const r = await startFaultyRelay(opts);
    cleanups.push(() => r.stop());
    return r;
  };

  it('smtp:// to a relay that offers no STARTTLS is refused unless plaintext is explicitly allowed', async () => {
    const plain = await relay({});
    const refused = await createMailer(plain.url, 'e-mage <no-reply@e-mage.fr>').send('a@exemple.fr', mail, {}).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MailSendError);
    expect((refused as MailSendError).kind).toBe('TLS_UNAVAILABLE');
    expect(plain.attempts()).toBe(0); // refused before the envelope: nothing left in clear
    expect(plain.delivered()).toHaveLength(0);

    await createMailer(plain.url, 'e-mage <no-reply@e-mage.fr>', { allowPlaintext: true }).send('a@exemple.fr', mail, {});
    expect(plain.delivered()).toHaveLength(1);
    expect(plain.delivered()[0]!.secure).toBe(false);
  });

  it('smtp:// upgrades with STARTTLS and smtps:// uses implicit TLS; an untrusted certificate is refused', async () => {
    const starttls = await relay({ tls: true });
    await createMailer(starttls.url, 'no-reply@e-mage.fr', { tls: { ca: relayTls.cert } }).send('a@exemple.fr', mail, {});
    expect(starttls.delivered().map((m) => m.secure)).toEqual([true]);

    const implicit = await relay({ implicitTls: true });
    expect(implicit.url).toMatch(/^smtps:/);
    await createMailer(implicit.url, 'no-reply@e-mage.fr', { tls: { ca: relayTls.cert } }).send('a@exemple.fr', mail, {});
    expect(implicit.delivered().map((m) => m.secure)).toEqual([true]);

    const untrusted = await createMailer(starttls.url, 'no-reply@e-mage.fr', { timeoutMs: 2000 }).send('a@exemple.fr', mail, {}).catch((e: unknown) => e);
    expect(untrusted).toBeInstanceOf(MailSendError);
    expect(starttls.delivered()).toHaveLength(1);
  });

  it('the server keeps a reset mail queued rather than send it in clear to a relay without STARTTLS', async () => {
    const plain = await relay({});
    const t = await startTestServer({ SMTP_URL: plain.url, SMTP_ALLOW_PLAINTEXT: 'false', SMTP_TIMEOUT_SECONDS: '1' });
    cleanups.push(() => t.stop());
    await queue(t, 1, 'clear');
    const em = t.deps.orm.em.fork();
    await until(
      async () => (await em.getConnection().execute<{ kind: string | null }[]>(`select failure_kind as kind from outbox_message`))[0]?.kind === 'TLS_UNAVAILABLE',
      10_000,
      'the refused attempt',
    );
    expect(plain.attempts()).toBe(0);
    expect(plain.delivered()).toHaveLength(0);
  });

  it('a relay that accepts then stalls: no transaction stays open, the timeout fires, and the mail is delivered exactly once when the relay recovers', async () => {
    const stalling = await relay({ mode: 'stall' });
    const t = await startTestServer({ SMTP_URL: stalling.url, SMTP_TIMEOUT_SECONDS: '0.5' }, { outbox: { pollMs: 100, backoffMs: 300 } });
    cleanups.push(() => t.stop());
    await queue(t, 3, 'stall');

    await until(() => stalling.stalledNow() > 0, 10_000, 'a send to stall');
    // While sends are stalled, sample the database: none of our sessions may sit in a transaction.
    const seen: string[] = [];
    const sampleUntil = Date.now() + 1500;
    while (Date.now() < sampleUntil) {
      seen.push(...(await heldTransactions(t)));
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen).toEqual([]);

    const em = t.deps.orm.em.fork();
    const timedOut = async () =>
      (await em.getConnection().execute<{ n: number }[]>(`select count(*)::int as n from outbox_message where failure_kind = 'TIMEOUT' and sent_at is null`))[0]!.n;
    await until(async () => (await timedOut()) === 3, 10_000, 'every stalled send to time out');
    expect(stalling.delivered()).toHaveLength(0);

    await stalling.setMode('accept');
    await until(() => stalling.delivered().length >= 3, 15_000, 'delivery once the relay recovers');
    await t.deps.outbox.drainOnce();
    await new Promise((r) => setTimeout(r, 500)); // a few more polls: a duplicate would show now
    const ids = stalling.delivered().map((m) => m.messageId);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    const rows = await em.getConnection().execute<{ sent: boolean; attempts: number }[]>(`select sent_at is not null as sent, attempts from outbox_message`);
    expect(rows.every((r) => r.sent && r.attempts >= 2)).toBe(true);
  });

  it('a mail that never gets through fails for good after MAIL_MAX_ATTEMPTS, with a growing back-off', async () => {
    const refusing = await relay({ mode: 'refuse-data' });
    const t = await startTestServer({ SMTP_URL: refusing.url, MAIL_MAX_ATTEMPTS: '3', MAIL_RETRY_BASE_SECONDS: '0.2' }, { outbox: { pollMs: 50, backoffMs: undefined } });
    cleanups.push(() => t.stop());
    const started = Date.now();
    await queue(t, 1, 'refused');
    const em = t.deps.orm.em.fork();
    await until(
      async () => (await em.getConnection().execute<{ n: number }[]>(`select count(*)::int as n from outbox_message where failed_at is not null`))[0]!.n === 1,
      10_000,
      'the final failure',
    );
    // 0.2 s then 0.4 s of back-off between the three attempts.
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    const [row] = await em.getConnection().execute<{ attempts: number; kind: string }[]>(`select attempts, failure_kind as kind from outbox_message`);
    expect(row).toEqual({ attempts: 3, kind: 'MESSAGE_REFUSED' });
    await t.deps.outbox.drainOnce();
    expect(refusing.attempts()).toBe(3);
  });

  it('a sent mail whose first mark fails (its connection terminated) is recorded on a retry, not resent after the lease', async () => {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    cleanups.push(() => locker.end());
    const ok = await relay({
      // Before the relay says 250, lock the outbox: the worker's mark will wait behind the lock.
      onAccepted: async () => {
        await locker.query('begin');
        await locker.query('lock table outbox_message in exclusive mode');
      },
    });
    // A 5 s timeout gives a 20 s lease: a row left claimed would not be resent within this test.
    const t = await startTestServer({ DATABASE_URL: db.url, SMTP_URL: ok.url, SMTP_TIMEOUT_SECONDS: '5' });
    cleanups.push(() => t.stop());
    await queue(t, 1, 'mark');

    // The mark may wait while it is still being parsed (no query text yet): found by who blocks it.
    const blockedMark = `select pid from pg_stat_activity where datname = current_database() and pg_blocking_pids(pid) @> array[pg_backend_pid()]`;
    await until(async () => (await locker.query(blockedMark)).rows.length > 0, 10_000, 'the mark to wait behind the lock');
    await locker.query(`select pg_terminate_backend(pid) from (${blockedMark}) b`);
    await locker.query('rollback');

    const em = t.deps.orm.em.fork();
    await until(
      async () => (await em.getConnection().execute<{ sent: boolean }[]>(`select sent_at is not null as sent from outbox_message`))[0]?.sent === true,
      5_000,
      'the mark to be retried',
    );
    expect(ok.delivered()).toHaveLength(1);
  });

  it('two replicas draining the same outbox send every mail once', async () => {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const ok = await relay({});
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: db.url, SMTP_URL: ok.url, SMTP_ALLOW_PLAINTEXT: 'true', SEED_DEMO: 'false' });
    const workers: OutboxWorker[] = [];
    for (let i = 0; i < 2; i++) {
      const orm = await initOrm(db.url, 3);
      cleanups.push(() => orm.close(true));
      const w = new OutboxWorker(orm, createMailer(ok.url, config.mailFrom, { allowPlaintext: true }), config, createLogger('silent'), { pollMs: 20, concurrency: 3 });
      workers.push(w);
    }
    const seeding = await initOrm(db.url, 1);
    cleanups.push(() => seeding.close(true));
    await queue({ deps: { orm: seeding } } as Pick<TestServer, 'deps'>, 40, 'replicas');
    for (const w of workers) {
      w.start();
      cleanups.push(() => w.stop());
    }
    await until(() => ok.delivered().length >= 40, 20_000, 'every mail');
    await new Promise((r) => setTimeout(r, 300));
    const ids = ok.delivered().map((m) => m.messageId);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
  });
});
