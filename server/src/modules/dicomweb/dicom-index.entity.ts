import { randomUUID } from 'node:crypto';
import { ArrayType, Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Unique, type Rel } from '@mikro-orm/core';
import { Facility } from '../facility/facility.entity.js';

/** QIDO-RS study level, as the DICOM headers say (not the portal's view of the patient). */
@Entity({ tableName: 'dicom_study' })
export class DicomStudy {
  [OptionalProps]?: 'createdAt' | 'modalities';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  @Unique()
  studyInstanceUid!: string;

  /** The facility whose key stored it; only that facility may add to it. */
  @ManyToOne(() => Facility)
  facility!: Rel<Facility>;

  /** PatientName as a DICOM PN string (component groups joined by `=`), decoded to Unicode. */
  @Property({ type: 'text', nullable: true }) patientName?: string | null;
  /** The same, lower-cased and without accents, for case- and accent-insensitive QIDO matching. */
  @Property({ type: 'text', nullable: true }) patientNameSearch?: string | null;
  @Property({ type: 'text', nullable: true }) @Index() patientId?: string | null;
  @Property({ type: 'text', nullable: true }) patientBirthDate?: string | null;
  @Property({ type: 'text', nullable: true }) patientSex?: string | null;
  @Property({ type: 'text', nullable: true }) studyDate?: string | null;
  @Property({ type: 'text', nullable: true }) studyTime?: string | null;
  @Property({ type: 'text', nullable: true }) @Index() accessionNumber?: string | null;
  @Property({ type: 'text', nullable: true }) studyDescription?: string | null;
  @Property({ type: 'text', nullable: true }) studyId?: string | null;
  @Property({ type: 'text', nullable: true }) referringPhysicianName?: string | null;
  @Property({ type: ArrayType }) modalities: string[] = [];

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}

@Entity({ tableName: 'dicom_series' })
export class DicomSeries {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  @Unique()
  seriesInstanceUid!: string;

  @ManyToOne(() => DicomStudy, { deleteRule: 'cascade' })
  @Index()
  study!: Rel<DicomStudy>;

  @Property({ type: 'text', nullable: true }) modality?: string | null;
  @Property({ type: 'integer', nullable: true }) seriesNumber?: number | null;
  @Property({ type: 'text', nullable: true }) seriesDescription?: string | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}

/**
 * One stored SOP instance. The file is kept byte for byte in storage; `frames` holds each
 * frame's byte ranges in that file so a frame is served by offset, without re-parsing.
 */
@Entity({ tableName: 'dicom_instance' })
export class DicomInstance {
  [OptionalProps]?: 'createdAt' | 'numberOfFrames' | 'frames' | 'framesNeedExtraction' | 'bulkData';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  @Unique()
  sopInstanceUid!: string;

  @ManyToOne(() => DicomSeries, { deleteRule: 'cascade' })
  @Index()
  series!: Rel<DicomSeries>;

  @Property({ type: 'text' }) sopClassUid!: string;
  @Property({ type: 'text' }) transferSyntaxUid!: string;
  @Property({ type: 'integer', nullable: true }) instanceNumber?: number | null;
  @Property({ type: 'integer', nullable: true }) rows?: number | null;
  @Property({ type: 'integer', nullable: true }) columns?: number | null;
  @Property({ type: 'integer' }) numberOfFrames = 0;

  @Property({ type: 'text' }) storageKey!: string;
  @Property({ type: 'bigint' }) size!: string;

  /** Per frame, its [offset, length] ranges in the stored file. */
  @Property({ type: 'json' }) frames: Array<Array<[number, number]>> = [];

  /**
   * Deflated data sets and 1-bit frames that do not start on a byte boundary: `frames` then
   * points into the inflated data set or needs bit shifting, so frames are extracted by parsing.
   */
  @Property({ type: 'boolean' }) framesNeedExtraction = false;

  /** Bulk data values (metadata BulkDataURI paths such as `00420011`) → [offset, length] in the file. */
  @Property({ type: 'json', lazy: true }) bulkData: Record<string, [number, number]> = {};

  /** SHA-256 of the stored file (hex). */
  @Property({ type: 'text', nullable: true }) sha256?: string | null;

  /** Encapsulated PDF/CDA: where the document lies in the stored file, so it is served without parsing. */
  @Property({ type: 'bigint', nullable: true }) encapsulatedDocumentOffset?: string | null;
  @Property({ type: 'bigint', nullable: true }) encapsulatedDocumentLength?: string | null;
  @Property({ type: 'text', nullable: true }) encapsulatedDocumentMimeType?: string | null;

  /** WADO-RS metadata (DICOM JSON), bulk data as relative URIs. */
  @Property({ type: 'json', lazy: true }) metadata!: Record<string, unknown>;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
