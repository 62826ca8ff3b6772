import { randomUUID } from 'node:crypto';
import { Entity, Enum, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Unique, type Rel } from '@mikro-orm/core';
import { Facility } from '../facility/facility.entity.js';

export enum Sex {
  F = 'F',
  M = 'M',
  O = 'O',
  U = 'U',
}

/**
 * One row per person. Identity fields mirror the most recent administrative record received;
 * `searchName` is the unaccented, lower-cased words of every name, for the dashboard filter.
 */
@Entity({ tableName: 'patient' })
export class Patient {
  [OptionalProps]?: 'createdAt' | 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** National health identifier (INS) when a facility sends it; the cross-facility match key. */
  @Property({ type: 'text', nullable: true })
  @Unique()
  ins?: string | null;

  @Property({ type: 'text' })
  lastName!: string;

  @Property({ type: 'text' })
  firstName!: string;

  @Property({ type: 'text', nullable: true })
  birthName?: string | null;

  @Property({ type: 'date', nullable: true })
  birthDate?: string | null;

  @Enum({ items: () => Sex, nullable: true })
  sex?: Sex | null;

  @Property({ type: 'text' })
  searchName!: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

/** The administrative data exactly as one facility sent it (read-only in the portal). */
@Entity({ tableName: 'administrative_record' })
@Unique({ properties: ['facility', 'ipp'] })
export class AdministrativeRecord {
  [OptionalProps]?: 'receivedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Patient, { deleteRule: 'cascade' })
  @Index()
  patient!: Rel<Patient>;

  @ManyToOne(() => Facility)
  facility!: Rel<Facility>;

  /** Identifiant permanent du patient: the facility's own patient id. */
  @Property({ type: 'text' })
  ipp!: string;

  @Property({ type: 'text', nullable: true })
  ins?: string | null;

  @Property({ type: 'text' })
  lastName!: string;

  @Property({ type: 'text' })
  firstName!: string;

  @Property({ type: 'text', nullable: true })
  birthName?: string | null;

  @Property({ type: 'date', nullable: true })
  birthDate?: string | null;

  @Enum({ items: () => Sex, nullable: true })
  sex?: Sex | null;

  @Property({ type: 'text', nullable: true })
  addressLine?: string | null;

  @Property({ type: 'text', nullable: true })
  postalCode?: string | null;

  @Property({ type: 'text', nullable: true })
  city?: string | null;

  @Property({ type: 'text', nullable: true })
  phone?: string | null;

  /** This record's names as the dashboard filter reads them (like Patient.searchName): a physician finds a patient by the names of the records they may see. */
  @Property({ type: 'text' })
  searchName!: string;

  @Property({ type: 'datetime' })
  receivedAt: Date = new Date();
}
