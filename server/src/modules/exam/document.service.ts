import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppDeps } from '../../app-deps.js';
import { forbidden, notFound, unauthenticated } from '../../common/errors.js';
import { isUuid } from '../../common/ids.js';
import type { Viewer } from '../../graphql/context.js';
import { audit, type AuditFields } from '../audit/audit.service.js';
import { inflateDataSet, parsePart10 } from '../dicom/part10.js';
import { DocumentType } from './exam.entity.js';
import { asDate, markExamOpened, requirePhysician, uuidArray, VISIBLE_EXAMS_SQL } from './exam.service.js';

export interface DocumentRow {
  id: string;
  examId: string;
  patientId: string;
  type: DocumentType;
  title: string;
  date: Date;
  studyInstanceUid: string | null;
  sopInstanceUid: string | null;
}

const DOCUMENT_COLUMNS = `d.id, d.exam_id as "examId", e.patient_id as "patientId", d.type, d.title, d.date,
  d.study_instance_uid as "studyInstanceUid", d.sop_instance_uid as "sopInstanceUid"`;

/** Where the shell (and a new tab) reads a report: the route checks the same rule as GraphQL. */
export function reportUrlOf(doc: Pick<DocumentRow, 'id' | 'type'>): string | null {
  return doc.type === DocumentType.REPORT ? `/api/documents/${doc.id}/report.pdf` : null;
}

/**
 * THE read rule for documents, for every caller (GraphQL, the PDF route, the viewer page):
 * a physician reads a document of an exam they may see; anonymous callers must log in; other
 * callers are refused. Null means "no such document for you" and is the same answer whether
 * the id exists or not.
 */
export async function findReadableDocument(em: EntityManager, viewer: Viewer, documentId: string): Promise<DocumentRow | null> {
  switch (viewer.kind) {
    case 'anonymous':
      throw unauthenticated();
    case 'user': {
      const physician = requirePhysician(viewer);
      if (!isUuid(documentId)) return null;
      const [row] = await em.execute<DocumentRow[]>(
        `select ${DOCUMENT_COLUMNS} from document d join exam e on e.id = d.exam_id
          where d.id = ? and exists (select 1 from ${VISIBLE_EXAMS_SQL} and e.id = d.exam_id)`,
        [documentId, physician.id],
      );
      return row ? { ...row, date: asDate(row.date) } : null;
    }
    case 'facility':
    case 'share':
      throw forbidden();
  }
}

/**
 * A share grant reads the documents of its one exam, and only through the report route (its
 * only GraphQL field is `sharedDocument`, share module). The grant resolver has already checked
 * the share's expiry and revocation on this request. Outside that exam: NOT_FOUND, like a
 * missing id.
 */
async function assertShareCanReadDocument(em: EntityManager, viewer: Extract<Viewer, { kind: 'share' }>, documentId: string): Promise<DocumentRow> {
  const [row] = isUuid(documentId)
    ? await em.execute<DocumentRow[]>(
        `select ${DOCUMENT_COLUMNS} from document d join exam e on e.id = d.exam_id where d.id = ? and d.exam_id = ?`,
        [documentId, viewer.examId],
      )
    : [];
  if (!row) throw notFound('Document');
  return { ...row, date: asDate(row.date) };
}

/** findReadableDocument, as an error: NOT_FOUND for "absent or not yours". */
export async function assertCanReadDocument(em: EntityManager, viewer: Viewer, documentId: string): Promise<DocumentRow> {
  const doc = await findReadableDocument(em, viewer, documentId);
  if (!doc) throw notFound('Document');
  return doc;
}

/** The documents of exams already known to be visible (loaders below a visible Exam). */
export async function documentsOfExams(em: EntityManager, examIds: readonly string[]): Promise<DocumentRow[]> {
  if (examIds.length === 0) return [];
  const rows = await em.execute<DocumentRow[]>(
    `select ${DOCUMENT_COLUMNS} from document d join exam e on e.id = d.exam_id
      where d.exam_id = any(?::uuid[]) order by d.date desc, d.type desc, d.id`,
    [uuidArray(examIds)],
  );
  return rows.map((r) => ({ ...r, date: asDate(r.date) }));
}

/**
 * Opening a document (the PDF route for a report, the viewer page for images): traced, and the
 * exam stops being "not yet opened" for this physician.
 */
async function recordOpening(em: EntityManager, viewer: Viewer, doc: DocumentRow, actor: AuditFields): Promise<void> {
  audit(em, doc.type === DocumentType.REPORT ? 'REPORT_OPENED' : 'IMAGING_OPENED', {
    ...actor,
    patientId: doc.patientId,
    examId: doc.examId,
    documentId: doc.id,
    outcome: 'SUCCESS',
  });
  await em.flush();
  if (viewer.kind === 'user') await markExamOpened(em, viewer.user.id, doc.examId);
}

/** The viewer page opened an imaging document (or any document): check, trace, mark opened. */
export async function openDocument(em: EntityManager, viewer: Viewer, documentId: string, actor: AuditFields): Promise<DocumentRow> {
  const doc = await assertCanReadDocument(em, viewer, documentId);
  await recordOpening(em, viewer, doc, actor);
  return doc;
}

/** The PDF of a report for the route: check, read, then trace (nothing is traced when nothing is served). */
export async function openReport(em: EntityManager, deps: AppDeps, viewer: Viewer, documentId: string, actor: AuditFields): Promise<Buffer> {
  const doc = viewer.kind === 'share' ? await assertShareCanReadDocument(em, viewer, documentId) : await assertCanReadDocument(em, viewer, documentId);
  const pdf = await reportPdf(em, deps, doc);
  await recordOpening(em, viewer, doc, actor);
  return pdf;
}

/**
 * The PDF bytes of a report: the EncapsulatedDocument of its DICOM Encapsulated PDF instance,
 * read from storage. NOT_FOUND while the facility has not stored the instance yet.
 */
async function reportPdf(em: EntityManager, deps: AppDeps, doc: DocumentRow): Promise<Buffer> {
  if (doc.type !== DocumentType.REPORT || !doc.sopInstanceUid) throw notFound('Report');
  const [instance] = await em.execute<Array<{ storageKey: string }>>(
    `select storage_key as "storageKey" from dicom_instance where sop_instance_uid = ?`,
    [doc.sopInstanceUid],
  );
  if (!instance) throw notFound('Report');
  const file = await deps.storage.readAll(instance.storageKey);
  const parsed = parsePart10(file);
  if (!parsed.encapsulatedDocument || parsed.encapsulatedDocument.mimeType?.trim() !== 'application/pdf') throw notFound('Report');
  const bytes = parsed.framesRequireInflate ? inflateDataSet(file) : file;
  const { offset, length } = parsed.encapsulatedDocument.range;
  return Buffer.from(bytes.buffer, bytes.byteOffset + offset, length);
}

