import { randomUUID } from 'node:crypto';
import { Entity, Index, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/**
 * Transactional outbox: a row is written in the same transaction as the business change and
 * sent later by a worker, so an e-mail is never lost to a mail server outage nor sent for a
 * change that rolled back.
 */
@Entity({ tableName: 'outbox_message' })
@Index({ properties: ['sentAt', 'nextAttemptAt'] })
export class OutboxMessage {
  [OptionalProps]?: 'createdAt' | 'attempts' | 'nextAttemptAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Unique per business event, so a replayed publish does not queue a second mail. */
  @Property({ type: 'text' })
  @Unique()
  idempotencyKey!: string;

  @Property({ type: 'text' })
  to!: string;

  @Property({ type: 'text' })
  template!: string;

  /** Template parameters. Never patient data: mails are not a secure channel. */
  @Property({ type: 'json' })
  payload!: Record<string, unknown>;

  @Property({ type: 'integer' })
  attempts = 0;

  @Property({ type: 'datetime' })
  nextAttemptAt: Date = new Date();

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  @Property({ type: 'datetime', nullable: true })
  sentAt?: Date | null;

  /** Set by the claim, cleared by the marking: only the claimant may mark the row (ADR 0101). */
  @Property({ type: 'uuid', nullable: true })
  claimToken?: string | null;

  /** Why the last attempt failed (mailer.ts MailFailureKind); the relay's own words are in lastError. */
  @Property({ type: 'text', nullable: true })
  failureKind?: string | null;

  /** Set when attempts are exhausted; the row stays for the operator. */
  @Property({ type: 'datetime', nullable: true })
  failedAt?: Date | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
