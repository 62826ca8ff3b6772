import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config.js';
import type { Logger } from '../logger.js';
import type { Orm } from '../db/orm.js';
import type { PgPubSub } from '../pubsub/pg-pubsub.js';
import { MailSendError, type MailFailureKind, type Mailer } from './mailer.js';
import { getTemplate } from './templates.js';

export interface OutboxEntry {
  to: string;
  template: string;
  payload: Record<string, unknown>;
  /** One key per business event: enqueueing it again is a no-op. */
  idempotencyKey: string;
  locale?: string;
}

/**
 * Queues a mail in the caller's transaction: it commits (or rolls back) with the change that
 * caused it. Returns false when the same idempotency key was already queued.
 */
export async function enqueueMail(em: EntityManager, entry: OutboxEntry): Promise<boolean> {
  const res = await em.execute<{ id: string }[]>(
    `insert into outbox_message (id, idempotency_key, "to", template, payload, attempts, next_attempt_at, created_at)
     values (gen_random_uuid(), ?, ?, ?, ?::jsonb, 0, now(), now())
     on conflict (idempotency_key) do nothing returning id`,
    [entry.idempotencyKey, entry.to, entry.template, JSON.stringify({ ...entry.payload, locale: entry.locale ?? 'fr' })],
  );
  return res.length > 0;
}

interface OutboxRow {
  id: string;
  idempotency_key: string;
  to: string;
  template: string;
  payload: Record<string, unknown>;
  attempts: number;
  claim_token: string;
}

/** A mail whose attempts are exhausted, as its module's failure handler receives it. */
export interface FailedMail {
  id: string;
  to: string;
  payload: Record<string, unknown>;
  kind: MailFailureKind;
}

export type MailFailureHandler = (tx: EntityManager, mail: FailedMail, ctx: { pubsub?: PgPubSub }) => Promise<void>;

const failureHandlers = new Map<string, MailFailureHandler>();

/** Retries of the statement that records a sent mail: 100 ms doubling, 6.3 s in all. */
const MARK_RETRIES = 6;

/**
 * Each module that must react when one of its mails finally fails (the sharing module tells the
 * physician) registers here, next to its template. The handler runs in the transaction that marks
 * the mail failed, so the reaction and the failure commit together, once.
 */
export function onMailFailed(template: string, handler: MailFailureHandler): void {
  failureHandlers.set(template, handler);
}

export interface OutboxWorkerOptions {
  pollMs?: number;
  maxAttempts?: number;
  /** Base of the exponential back-off between attempts. */
  backoffMs?: number;
  /** Mails sent at the same time by this replica: a stalled relay connection holds one lane only. */
  concurrency?: number;
}

/**
 * Drains the outbox in every replica, holding no transaction while it talks to SMTP (ADR 0101):
 * 1. claim one due row in one short statement (`FOR UPDATE SKIP LOCKED`, so two replicas never
 *    claim the same row): its attempt is counted, it gets a fresh claim token, and its
 *    `next_attempt_at` moves to the end of a lease longer than the mailer's send deadline;
 * 2. send it, outside any transaction, within that deadline;
 * 3. mark it sent, or failed with a back-off (finally failed after maxAttempts), in another short
 *    statement that only applies while the claim token is still the row's.
 * A replica that dies between 2 and 3 leaves the row claimed: it is sent again when the lease
 * ends. That resend, for a mail the relay may already have accepted, is the only duplicate
 * possible; the Message-ID stays the same, so the receiving side can recognise it.
 */
export class OutboxWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private wakeRequested = false;
  private readonly pollMs: number;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly concurrency: number;
  /** A claim outlives the send deadline by a third: the sender has given up before anyone reclaims. */
  readonly leaseMs: number;

  constructor(
    private readonly orm: Orm,
    private readonly mailer: Mailer,
    private readonly config: Config,
    private readonly logger: Logger,
    opts: OutboxWorkerOptions = {},
    private readonly pubsub?: PgPubSub,
  ) {
    this.pollMs = opts.pollMs ?? 1000;
    this.maxAttempts = opts.maxAttempts ?? config.mailMaxAttempts;
    this.backoffMs = opts.backoffMs ?? config.mailRetryBaseMs;
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
    this.leaseMs = Math.ceil((mailer.sendDeadlineMs * 4) / 3);
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Called after a local commit that queued mail, so it leaves at once rather than at the next poll. */
  wake(): void {
    if (this.running) {
      this.wakeRequested = true;
      return;
    }
    this.schedule(0);
  }

  /** Claims nothing more and waits for the sends in flight (each bounded by the send deadline). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Sends what is due now; returns how many were sent. Exposed for tests and the CLI. */
  async drainOnce(): Promise<number> {
    const lanes = Array.from({ length: this.concurrency }, async () => {
      let sent = 0;
      for (;;) {
        if (this.stopped) return sent;
        const row = await this.claim();
        if (!row) return sent;
        if (await this.deliver(row)) sent++;
      }
    });
    // Every lane settles before the drain does, so stop() never leaves a send behind it.
    const settled = await Promise.allSettled(lanes);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.reduce((n, r) => n + (r.status === 'fulfilled' ? r.value : 0), 0);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.drainOnce()
        .then(() => undefined)
        .catch((err: unknown) => this.logger.error({ err }, 'outbox worker failed'))
        .finally(() => {
          this.running = undefined;
          const again = this.wakeRequested;
          this.wakeRequested = false;
          this.schedule(again ? 0 : this.pollMs);
        });
    }, delay);
    this.timer.unref();
  }

  private em(): EntityManager {
    return this.orm.em.fork() as EntityManager;
  }

  /** One statement, so one short transaction: the row is ours until the lease ends. */
  private async claim(): Promise<OutboxRow | undefined> {
    const [row] = await this.em().execute<OutboxRow[]>(
      `update outbox_message set attempts = attempts + 1, claim_token = gen_random_uuid(),
         next_attempt_at = now() + (? || ' milliseconds')::interval
       where id = (select id from outbox_message
                    where sent_at is null and failed_at is null and next_attempt_at <= now()
                    order by next_attempt_at limit 1 for update skip locked)
       returning id, idempotency_key, "to", template, payload, attempts, claim_token`,
      [String(this.leaseMs)],
    );
    return row;
  }

  private async deliver(row: OutboxRow): Promise<boolean> {
    try {
      const locale = typeof row.payload.locale === 'string' ? row.payload.locale : 'fr';
      const mail = await getTemplate(row.template)(row.payload, { config: this.config, locale });
      const key = createHash('sha256').update(row.idempotency_key).digest('hex').slice(0, 32);
      await this.mailer.send(row.to, mail, {
        'Message-ID': `<${key}@e-mage>`,
        'X-Idempotency-Key': key,
      });
    } catch (err) {
      await this.markFailed(row, err);
      return false;
    }
    const marked = await this.markSent(row);
    if (!marked) this.logger.warn({ outboxId: row.id }, 'mail sent after its lease ended: another replica may send it too');
    return true;
  }

  /**
   * The mail is out: failing to record it would have it sent again when the lease ends, so a
   * database error here (a failover) is retried for a few seconds, well within the default lease (120 s).
   */
  private async markSent(row: OutboxRow): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        const marked = await this.em().execute<{ id: string }[]>(
          `update outbox_message set sent_at = now(), claim_token = null, last_error = null, failure_kind = null
            where id = ? and claim_token = ? returning id`,
          [row.id, row.claim_token],
        );
        return marked.length > 0;
      } catch (err) {
        if (attempt >= MARK_RETRIES) throw err;
        this.logger.warn({ outboxId: row.id, err }, 'could not record a sent mail, retrying');
        await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      }
    }
  }

  private async markFailed(row: OutboxRow, err: unknown): Promise<void> {
    const kind: MailFailureKind = err instanceof MailSendError ? err.kind : 'MESSAGE_REFUSED';
    const message = err instanceof Error ? err.message : String(err);
    const delayMs = Math.min(this.backoffMs * 2 ** (row.attempts - 1), 3_600_000);
    const final = await this.em().transactional(async (tx) => {
      const [updated] = await tx.execute<{ final: boolean }[]>(
        `update outbox_message set claim_token = null, last_error = ?, failure_kind = ?,
           next_attempt_at = now() + (? || ' milliseconds')::interval,
           failed_at = case when attempts >= ? then now() else null end
         where id = ? and claim_token = ? and sent_at is null and failed_at is null
         returning failed_at is not null as final`,
        [message.slice(0, 500), kind, String(delayMs), this.maxAttempts, row.id, row.claim_token],
      );
      if (!updated?.final) return false;
      const handler = failureHandlers.get(row.template);
      if (handler) await handler(tx, { id: row.id, to: row.to, payload: row.payload, kind }, { pubsub: this.pubsub });
      return true;
    });
    const fields = { outboxId: row.id, template: row.template, attempts: row.attempts, kind };
    if (final) this.logger.error(fields, 'mail delivery failed for good');
    else this.logger.warn(fields, 'mail delivery failed, will retry');
  }
}
