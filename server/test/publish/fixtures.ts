import { randomBytes } from 'node:crypto';
import { forkEm } from '../../src/bootstrap.js';
import { finessWithCheckDigit } from '../../src/common/identifiers.js';
import { ENCAPSULATED_PDF_SOP_CLASS } from '../../src/modules/dicom/part10.js';
import { DicomInstance, DicomSeries, DicomStudy } from '../../src/modules/dicomweb/dicom-index.entity.js';
import { createApiKey, createFacility } from '../../src/modules/facility/facility.service.js';
import { Facility } from '../../src/modules/facility/facility.entity.js';
import { GqlClient, type TestServer } from '../harness.js';

export const PUBLISH = `mutation($input: PublishExamInput!) {
  publishExam(input: $input) { id accessionNumber studyInstanceUid title date documentsCount rights { rpps role granted } }
}`;

export interface PublishedExamResult {
  id: string;
  accessionNumber: string;
  studyInstanceUid: string;
  title: string;
  date: string;
  documentsCount: number;
  rights: Array<{ rpps: string; role: string; granted: boolean }>;
}

export interface TestFacility {
  facility: Facility;
  key: string;
  client: GqlClient;
}

/** A facility with an API key and a GraphQL client that sends it as a Bearer token. */
export async function createTestFacility(t: TestServer, name = 'Centre de test'): Promise<TestFacility> {
  const em = forkEm(t.deps);
  const stem = `5${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
  const facility = await createFacility(em, name, finessWithCheckDigit(stem));
  const { key } = await createApiKey(em, facility);
  const client = new GqlClient(t.url);
  client.headers.authorization = `Bearer ${key}`;
  return { facility, key, client };
}

export const newUid = (): string => `2.25.${BigInt(`0x${randomBytes(15).toString('hex')}`).toString()}`;

export interface StoredStudy {
  studyInstanceUid: string;
  reportSopInstanceUid: string;
}

/**
 * Index rows as STOW-RS leaves them (one image series and one Encapsulated PDF), written
 * directly: these specs are about publishing, whose precondition is a stored study.
 */
export async function storeStudy(t: TestServer, facility: Facility, studyInstanceUid = newUid()): Promise<StoredStudy> {
  const em = forkEm(t.deps);
  const study = em.create(DicomStudy, { studyInstanceUid, facility: em.getReference(Facility, facility.id), modalities: ['CT', 'DOC'] });
  const images = em.create(DicomSeries, { seriesInstanceUid: newUid(), study, modality: 'CT' });
  const reports = em.create(DicomSeries, { seriesInstanceUid: newUid(), study, modality: 'DOC' });
  const base = { transferSyntaxUid: '1.2.840.10008.1.2.1', storageKey: `test/${randomBytes(8).toString('hex')}`, size: '1000', frames: [], metadata: {} };
  em.create(DicomInstance, { ...base, sopInstanceUid: newUid(), series: images, sopClassUid: '1.2.840.10008.5.1.4.1.1.2', rows: 512, columns: 512, numberOfFrames: 1 });
  const reportSopInstanceUid = newUid();
  em.create(DicomInstance, { ...base, sopInstanceUid: reportSopInstanceUid, series: reports, sopClassUid: ENCAPSULATED_PDF_SOP_CLASS });
  await em.flush();
  return { studyInstanceUid, reportSopInstanceUid };
}

export interface PublishInputOverrides {
  patient?: Record<string, unknown>;
  [key: string]: unknown;
}

/** A complete, valid publishExam input for a stored study. */
export function publishInput(study: StoredStudy, prescriberRpps: string, overrides: PublishInputOverrides = {}): Record<string, unknown> {
  const { patient, ...rest } = overrides;
  return {
    patient: {
      ipp: '54123456',
      lastName: 'Dupont-Moreau',
      firstName: 'Hélène',
      birthName: 'Moreau',
      birthDate: '1961-03-12',
      sex: 'F',
      addressLine: '12 rue des Jardiniers',
      postalCode: '54000',
      city: 'Nancy',
      phone: '03 83 12 34 56',
      ...patient,
    },
    accessionNumber: 'NCY2511001',
    studyInstanceUid: study.studyInstanceUid,
    title: 'SCANNER THORACIQUE',
    date: '2025-11-20T09:30:00.000Z',
    modalities: ['CT'],
    prescriberRpps,
    correspondentRpps: [],
    documents: [
      { type: 'IMAGING', title: 'SCANNER THORACIQUE - (IMAGES)', date: '2025-11-20T09:30:00.000Z', studyInstanceUid: study.studyInstanceUid },
      { type: 'REPORT', title: 'SCANNER THORACIQUE - (Compte-rendu)', date: '2025-11-20T11:00:00.000Z', studyInstanceUid: study.studyInstanceUid, sopInstanceUid: study.reportSopInstanceUid },
    ],
    ...rest,
  };
}

/** Row counts of everything publishing writes, to prove a refused call wrote nothing. */
export async function writtenRows(t: TestServer): Promise<Record<string, number>> {
  const tables = ['patient', 'administrative_record', 'exam', 'document', 'exam_access', 'notification', 'outbox_message'];
  const out: Record<string, number> = {};
  const conn = forkEm(t.deps).getConnection();
  for (const table of tables) {
    const [row] = await conn.execute<Array<{ n: number }>>(`select count(*)::int as n from ${table}`);
    out[table] = row?.n ?? -1;
  }
  const [audit] = await conn.execute<Array<{ n: number }>>(`select count(*)::int as n from audit_event where action = 'EXAM_PUBLISHED'`);
  out.audit_exam_published = audit?.n ?? -1;
  return out;
}
