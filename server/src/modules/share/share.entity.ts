import { randomUUID } from 'node:crypto';
import { Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Unique, type Rel } from '@mikro-orm/core';
import { User } from '../auth/user.entity.js';
import { Document } from '../exam/exam.entity.js';

/** A time-limited link to one document for a trusted third party without an account. */
@Entity({ tableName: 'share' })
@Index({ properties: ['creator', 'createdAt'] })
export class Share {
  [OptionalProps]?: 'createdAt' | 'openCount';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Document, { deleteRule: 'cascade' })
  document!: Rel<Document>;

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  creator!: Rel<User>;

  @Property({ type: 'text' })
  recipientEmail!: string;

  @Property({ type: 'text', nullable: true })
  comment?: string | null;

  @Property({ type: 'text' })
  @Unique()
  tokenHash!: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime' })
  expiresAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  revokedAt?: Date | null;

  @Property({ type: 'integer' })
  openCount = 0;

  @Property({ type: 'datetime', nullable: true })
  firstOpenedAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  lastOpenedAt?: Date | null;
}

/** Every attempt to open a share, successful or not. */
@Entity({ tableName: 'share_access' })
@Index({ properties: ['share', 'at'] })
export class ShareAccess {
  [OptionalProps]?: 'at';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Share, { deleteRule: 'cascade' })
  share!: Rel<Share>;

  @Property({ type: 'datetime' })
  at: Date = new Date();

  @Property({ type: 'text', nullable: true })
  ip?: string | null;

  @Property({ type: 'text', nullable: true })
  userAgent?: string | null;

  /** OPENED, EXPIRED, REVOKED. */
  @Property({ type: 'text' })
  outcome!: string;
}
