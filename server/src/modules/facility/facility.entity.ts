import { randomUUID } from 'node:crypto';
import { Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Unique, type Rel } from '@mikro-orm/core';

/** An imaging centre (structure productrice d'imagerie), identified by its FINESS number. */
@Entity({ tableName: 'facility' })
export class Facility {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text' })
  @Unique()
  finess!: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}

/** A facility's credential for STOW-RS and publishExam. Shown once, stored as SHA-256. */
@Entity({ tableName: 'api_key' })
export class ApiKey {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Facility, { deleteRule: 'cascade' })
  @Index()
  facility!: Rel<Facility>;

  @Property({ type: 'text' })
  @Unique()
  tokenHash!: string;

  /** The first characters of the key, so an operator can tell keys apart without the secret. */
  @Property({ type: 'text' })
  prefix!: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', nullable: true })
  revokedAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  lastUsedAt?: Date | null;
}
