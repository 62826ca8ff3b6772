import { randomUUID } from 'node:crypto';
import { Entity, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * Access trace for health data (kept ≥ 6 months). Ids only, never names or free text, so the
 * trail itself is not a second copy of patient data. No foreign keys: traces outlive rows.
 */
@Entity({ tableName: 'audit_event' })
@Index({ properties: ['patientId', 'at'] })
@Index({ properties: ['actorUserId', 'at'] })
@Index({ properties: ['targetUserId', 'at'] })
export class AuditEvent {
  [OptionalProps]?: 'at';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** e.g. LOGIN_SUCCEEDED, RECORD_OPENED, SHARE_OPENED (see audit.service.ts). */
  @Property({ type: 'text' })
  @Index()
  action!: string;

  /** USER, FACILITY, SHARE, SYSTEM or ANONYMOUS. */
  @Property({ type: 'text' })
  actorKind!: string;

  @Property({ type: 'uuid', nullable: true })
  actorUserId?: string | null;

  @Property({ type: 'uuid', nullable: true })
  facilityId?: string | null;

  @Property({ type: 'uuid', nullable: true })
  patientId?: string | null;

  @Property({ type: 'uuid', nullable: true })
  examId?: string | null;

  @Property({ type: 'uuid', nullable: true })
  documentId?: string | null;

  @Property({ type: 'uuid', nullable: true })
  shareId?: string | null;

  @Property({ type: 'uuid', nullable: true })
  targetUserId?: string | null;

  /** SUCCESS, DENIED, EXPIRED, REVOKED, … */
  @Property({ type: 'text', nullable: true })
  outcome?: string | null;

  @Property({ type: 'text', nullable: true })
  ip?: string | null;

  @Property({ type: 'text', nullable: true })
  userAgent?: string | null;

  @Property({ type: 'datetime' })
  @Index()
  at: Date = new Date();
}
