import { randomUUID } from 'node:crypto';
import { Entity, Enum, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Unique, type Rel } from '@mikro-orm/core';
import { User } from '../auth/user.entity.js';
import { Exam } from '../exam/exam.entity.js';

export enum NotificationKind {
  EXAM_AVAILABLE = 'EXAM_AVAILABLE',
  SHARE_OPENED = 'SHARE_OPENED',
  SHARE_UNDELIVERED = 'SHARE_UNDELIVERED',
}

@Entity({ tableName: 'notification' })
@Unique({ properties: ['recipient', 'exam', 'kind'] })
@Index({ properties: ['recipient', 'createdAt'] })
export class Notification {
  [OptionalProps]?: 'createdAt' | 'kind';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  recipient!: Rel<User>;

  @ManyToOne(() => Exam, { deleteRule: 'cascade' })
  exam!: Rel<Exam>;

  @Enum({ items: () => NotificationKind })
  kind: NotificationKind = NotificationKind.EXAM_AVAILABLE;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', nullable: true })
  readAt?: Date | null;
}
