import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config.js';
import type { Logger } from '../logger.js';
import type { Orm } from '../db/orm.js';
import type { Mailer } from './mailer.js';
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
}

export interface OutboxWorkerOptions {
  pollMs?: number;
  batchSize?: number;
  maxAttempts?: number;
  /** Base of the exponential back-off between attempts. */
  backoffMs?: number;
}

/**
 * Drains the outbox. Runs in every replica; `FOR UPDATE SKIP LOCKED` gives each row to one
 * worker at a time, and the row lock is held while sending, so a replica that dies mid-send
 * releases the row (its transaction rolls back) and another replica sends it.
 */
export class OutboxWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private wakeRequested = false;
  private readonly pollMs: number;
  private readonly batchSize: number;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;

  constructor(
    private readonly orm: Orm,
    private readonly mailer: Mailer,
    private readonly config: Config,
    private readonly logger: Logger,
    opts: OutboxWorkerOptions = {},
  ) {
    this.pollMs = opts.pollMs ?? 1000;
    this.batchSize = opts.batchSize ?? 20;
    this.maxAttempts = opts.maxAttempts ?? 12;
    this.backoffMs = opts.backoffMs ?? 5000;
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

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Sends what is due now; returns how many were sent. Exposed for tests and the CLI. */
  async drainOnce(): Promise<number> {
    let sent = 0;
    for (;;) {
      const n = await this.processBatch();
      sent += n.sent;
      if (n.claimed < this.batchSize) return sent;
    }
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

  private async processBatch(): Promise<{ claimed: number; sent: number }> {
    const em = this.orm.em.fork() as EntityManager;
    let claimed = 0;
    let sent = 0;
    await em.transactional(async (tx) => {
      const rows = await tx.execute<OutboxRow[]>(
        `select id, idempotency_key, "to", template, payload, attempts from outbox_message
         where sent_at is null and failed_at is null and next_attempt_at <= now()
         order by next_attempt_at limit ? for update skip locked`,
        [this.batchSize],
      );
      claimed = rows.length;
      for (const row of rows) {
        try {
          const locale = typeof row.payload.locale === 'string' ? row.payload.locale : 'fr';
          const mail = await getTemplate(row.template)(row.payload, { config: this.config, locale });
          const key = createHash('sha256').update(row.idempotency_key).digest('hex').slice(0, 32);
          await this.mailer.send(row.to, mail, {
            'Message-ID': `<${key}@e-mage>`,
            'X-Idempotency-Key': key,
          });
          await tx.execute(`update outbox_message set sent_at = now(), attempts = attempts + 1, last_error = null where id = ?`, [row.id]);
          sent++;
        } catch (err) {
          const attempts = row.attempts + 1;
          const message = err instanceof Error ? err.message : String(err);
          const delayMs = Math.min(this.backoffMs * 2 ** (attempts - 1), 3_600_000);
          await tx.execute(
            `update outbox_message set attempts = ?, last_error = ?, next_attempt_at = now() + (? || ' milliseconds')::interval,
             failed_at = case when ? >= ? then now() else null end where id = ?`,
            [attempts, message.slice(0, 500), String(delayMs), attempts, this.maxAttempts, row.id],
          );
          this.logger.warn({ outboxId: row.id, attempts, error: message }, 'mail delivery failed, will retry');
        }
      }
    });
    return { claimed, sent };
  }
}
