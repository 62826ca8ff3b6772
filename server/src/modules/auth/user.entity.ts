import { randomUUID } from 'node:crypto';
import { Entity, Enum, Index, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';

export enum Role {
  PHYSICIAN = 'PHYSICIAN',
  ANALYST = 'ANALYST',
  ADMIN = 'ADMIN',
}

export enum UserStatus {
  /** Created (by approval or the CLI); waits for the person to set a password. */
  PENDING_ACTIVATION = 'PENDING_ACTIVATION',
  ACTIVE = 'ACTIVE',
  DISABLED = 'DISABLED',
}

@Entity({ tableName: 'app_user' })
export class User {
  [OptionalProps]?: 'status' | 'createdAt' | 'locale' | 'emailNotifications' | 'displayName';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Enum({ items: () => Role })
  role!: Role;

  /** Lower-cased at write; the identifier people log in with. */
  @Property({ type: 'text' })
  @Unique()
  email!: string;

  /** French national physician identifier (11 digits, Luhn); how facilities name physicians. */
  @Property({ type: 'text', nullable: true })
  @Unique()
  rpps?: string | null;

  @Property({ type: 'text' })
  firstName!: string;

  @Property({ type: 'text' })
  lastName!: string;

  @Property({ type: 'text', nullable: true })
  phone?: string | null;

  @Property({ type: 'text', nullable: true, hidden: true })
  passwordHash?: string | null;

  @Enum({ items: () => UserStatus })
  @Index()
  status: UserStatus = UserStatus.PENDING_ACTIVATION;

  @Property({ type: 'text' })
  locale = 'fr';

  /** The in-app notification always exists; this only turns the e-mail off. */
  @Property({ type: 'boolean' })
  emailNotifications = true;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', nullable: true })
  activatedAt?: Date | null;

  get displayName(): string {
    return `${this.firstName} ${this.lastName}`;
  }
}
