import { randomUUID } from 'node:crypto';
import { ArrayType, Entity, Enum, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Unique, type Rel } from '@mikro-orm/core';
import { Facility } from '../facility/facility.entity.js';
import { Patient } from '../patient/patient.entity.js';
import { User } from '../auth/user.entity.js';

export enum ExamStatus {
  PUBLISHED = 'PUBLISHED',
  WITHDRAWN = 'WITHDRAWN',
}

@Entity({ tableName: 'exam' })
@Unique({ properties: ['facility', 'accessionNumber'] })
@Index({ properties: ['patient', 'date'] })
export class Exam {
  [OptionalProps]?: 'status' | 'publishedAt' | 'updatedAt' | 'modalities';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Patient)
  patient!: Rel<Patient>;

  @ManyToOne(() => Facility)
  facility!: Rel<Facility>;

  @Property({ type: 'text' })
  accessionNumber!: string;

  @Property({ type: 'text', nullable: true })
  @Index()
  studyInstanceUid?: string | null;

  @Property({ type: 'text' })
  title!: string;

  @Property({ type: 'datetime' })
  date!: Date;

  @Property({ type: ArrayType })
  modalities: string[] = [];

  @Enum({ items: () => ExamStatus })
  status: ExamStatus = ExamStatus.PUBLISHED;

  @Property({ type: 'datetime' })
  publishedAt: Date = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

export enum ExamRole {
  PRESCRIBER = 'PRESCRIBER',
  CORRESPONDENT = 'CORRESPONDENT',
}

/**
 * The right of one physician to see one exam, because the patient named them. A right for an
 * RPPS with no account yet stays pending (physician null) and is granted at activation.
 */
@Entity({ tableName: 'exam_access' })
@Unique({ properties: ['exam', 'rpps', 'role'] })
@Index({ properties: ['physician', 'exam'] })
@Index({ properties: ['rpps'] })
export class ExamAccess {
  [OptionalProps]?: 'grantedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Exam, { deleteRule: 'cascade' })
  exam!: Rel<Exam>;

  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null' })
  physician?: Rel<User> | null;

  @Property({ type: 'text' })
  rpps!: string;

  @Enum({ items: () => ExamRole })
  role!: ExamRole;

  @Property({ type: 'datetime' })
  grantedAt: Date = new Date();

  /** First time this physician opened a document of the exam (drives "not yet opened"). */
  @Property({ type: 'datetime', nullable: true })
  firstOpenedAt?: Date | null;
}

export enum DocumentType {
  REPORT = 'REPORT',
  IMAGING = 'IMAGING',
}

/** What the results table lists: a report (PDF) or an imaging study. */
@Entity({ tableName: 'document' })
@Index({ properties: ['exam'] })
export class Document {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Exam, { deleteRule: 'cascade' })
  exam!: Rel<Exam>;

  @Enum({ items: () => DocumentType })
  type!: DocumentType;

  @Property({ type: 'text' })
  title!: string;

  @Property({ type: 'datetime' })
  date!: Date;

  /** IMAGING: the study shown in the viewer. REPORT: the study holding the Encapsulated PDF. */
  @Property({ type: 'text', nullable: true })
  studyInstanceUid?: string | null;

  /** REPORT: the Encapsulated PDF instance. */
  @Property({ type: 'text', nullable: true })
  sopInstanceUid?: string | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
