import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rppsWithCheckDigit } from '../src/common/identifiers.js';
import { freshDatabase, startBuiltServer, type BuiltServer, type FreshDatabase } from './support/built-server.js';
import { createUser, gql, login } from './support/portal.js';
import { relayTls, startFaultyRelay, type FaultyRelay, type RelayMode } from './support/smtp-faults.js';

// Issue 17, mail: the relay is down (port closed), then refuses (5xx to RCPT TO, then to the
// message), then accepts and stalls, while the portal produces mail (password resets for
// existing accounts, share invitations). Then it recovers: every mail must be delivered exactly
// once (by Message-ID, against the outbox's own list), none lost, none twice; and while sends
// are stalled, no connection of ours may sit in an open transaction. TLS is on, as required:
// STARTTLS to a relay whose certificate the server trusts through NODE_EXTRA_CA_CERTS.

const PASSWORD = 'Correct-horse-battery-42';
const RPPS = rppsWithCheckDigit('1000000456');
const PHASES: RelayMode[] = ['down', 'refuse-rcpt', 'refuse-data', 'stall'];
const PHASE_MS = 3_500;
const RESETS_PER_PHASE = 3;
const SHARES_PER_PHASE = 2;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** The Message-ID the outbox gives a row (outbox.ts): what the relay must see once per row. */
const messageIdOf = (idempotencyKey: string) => `<${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}@e-mage>`;

describe('mail relay faults: down, refusing, stalling, then recovered (no mail lost, none twice)', () => {
  let db: FreshDatabase;
  let server: BuiltServer;
  let relay: FaultyRelay;
  let sql: pg.Client;
  let cookie: string;
  let documentId: string;

  beforeAll(async () => {
    db = await freshDatabase();
    relay = await startFaultyRelay({ tls: true, mode: 'down' });
    await createUser(db.url, { email: 'partage@example.org', role: 'PHYSICIAN', rpps: RPPS, password: PASSWORD, firstName: 'Claire', lastName: 'Martin' });
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    // One account per reset: a second request for the same account supersedes (cancels) the
    // first mail by design, and this test counts mails that must all leave.
    await sql.query(
      `insert into app_user (id, role, email, first_name, last_name, status, created_at, activated_at)
       select gen_random_uuid(), 'ANALYST', 'oubli' || i || '@example.org', 'Test', 'Oubli', 'ACTIVE', now(), now()
         from generate_series(0, $1::int - 1) i`,
      [PHASES.length * RESETS_PER_PHASE],
    );
    // A published exam the physician may see: the shared document (no images needed to share it).
    const { rows } = await sql.query<{ id: string }>(
      `with f as (insert into facility (id, name, finess, created_at) values (gen_random_uuid(), 'Centre de résilience', '540000017', now()) returning id),
            p as (insert into patient (id, last_name, first_name, search_name, created_at, updated_at)
                  values (gen_random_uuid(), 'Résilience', 'Patiente', 'patiente resilience', now(), now()) returning id),
            e as (insert into exam (id, patient_id, facility_id, accession_number, title, date, modalities, status, published_at, updated_at)
                  select gen_random_uuid(), p.id, f.id, 'SMTP-1', 'ECHOGRAPHIE', now(), '{US}', 'PUBLISHED', now(), now() from p, f returning id),
            a as (insert into exam_access (id, exam_id, physician_id, rpps, role, granted_at)
                  select gen_random_uuid(), e.id, u.id, $1, 'PRESCRIBER', now() from e, app_user u where u.email = 'partage@example.org')
       insert into document (id, exam_id, type, title, date, created_at) select gen_random_uuid(), e.id, 'REPORT', 'Compte-rendu', now(), now() from e returning id`,
      [RPPS],
    );
    documentId = rows[0]!.id;
    server = await startBuiltServer({
      DATABASE_URL: db.url,
      SMTP_URL: relay.url,
      NODE_EXTRA_CA_CERTS: relayTls.certFile,
      SMTP_TIMEOUT_SECONDS: '0.5',
      MAIL_RETRY_BASE_SECONDS: '0.2',
      MAIL_MAX_ATTEMPTS: '40',
      RATE_LIMIT_SCALE: '100',
    });
    cookie = await login(server.url, 'partage@example.org', PASSWORD);
  });
  afterAll(async () => {
    await server?.stop();
    await sql?.end();
    await relay?.stop();
    await db?.drop();
  });

  it('every mail produced during the faults is delivered exactly once after recovery; no transaction held while stalled', async () => {
    let produced = 0;
    let held = 0;
    let stalledSeen = 0;
    for (const [phase, mode] of PHASES.entries()) {
      await relay.setMode(mode);
      for (let i = 0; i < RESETS_PER_PHASE; i++) {
        const r = await gql(server.url, `mutation($e: String!) { requestPasswordReset(email: $e) }`, { e: `oubli${phase * RESETS_PER_PHASE + i}@example.org` });
        expect(r.body.errors, JSON.stringify(r.body.errors)).toBeUndefined();
      }
      for (let i = 0; i < SHARES_PER_PHASE; i++) {
        const r = await gql(server.url, `mutation($d: ID!, $e: String!) { shareDocument(documentId: $d, email: $e) { id } }`, { d: documentId, e: `confrere${phase}-${i}@example.org` }, cookie);
        expect(r.body.errors, JSON.stringify(r.body.errors)).toBeUndefined();
      }
      produced += RESETS_PER_PHASE + SHARES_PER_PHASE;
      const phaseEnd = Date.now() + PHASE_MS;
      while (Date.now() < phaseEnd) {
        stalledSeen = Math.max(stalledSeen, relay.stalledNow());
        const { rows } = await sql.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()
              and state like 'idle in transaction%' and now() - state_change > interval '100 milliseconds'`,
        );
        held = Math.max(held, rows[0]!.n);
        await sleep(25);
      }
    }
    expect(relay.delivered()).toHaveLength(0);
    expect(stalledSeen).toBeGreaterThan(0);
    expect(held).toBe(0);

    const recoveredAt = Date.now();
    await relay.setMode('accept');
    const rowsOf = async () => (await sql.query<{ key: string; attempts: number; sent: boolean; failed: boolean }>(
      `select idempotency_key as key, attempts, sent_at is not null as sent, failed_at is not null as failed from outbox_message`,
    )).rows;
    await until('every queued mail sent', async () => {
      const rows = await rowsOf();
      return rows.length >= produced && rows.every((r) => r.sent);
    }, 30_000);
    const drainedMs = Date.now() - recoveredAt;
    // Longer than a lease (4/3 of the 1.5 s send deadline): a claim left behind would resend now.
    await sleep(3_000);

    const rows = await rowsOf();
    const expected = rows.map((r) => messageIdOf(r.key)).sort();
    const delivered = relay.delivered().map((m) => m.messageId);
    const duplicates = delivered.length - new Set(delivered).size;
    const attempts = rows.reduce((n, r) => n + r.attempts, 0);
    console.log(
      `smtp-faults: ${produced} mails produced (${rows.length} outbox rows), ` +
        `${attempts} send attempts (${relay.attempts()} reached MAIL FROM), ${delivered.length} delivered, ${duplicates} duplicates, ` +
        `${rows.filter((r) => r.failed).length} failed for good, all sent ${drainedMs} ms after recovery; ` +
        `${stalledSeen} sends stalled at once at most, ${held} sessions idle in a transaction > 100 ms`,
    );
    expect(rows.length).toBe(produced);
    expect(duplicates).toBe(0);
    expect([...delivered].sort()).toEqual(expected);
    expect(relay.delivered().every((m) => m.secure)).toBe(true);
    expect(rows.some((r) => r.failed)).toBe(false);
  });
});
