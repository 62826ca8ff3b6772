import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError, ErrorCode, badInput, forbidden, unauthenticated } from '../../common/errors.js';
import { isValidNir, isValidRpps } from '../../common/identifiers.js';
import type { Context } from '../../graphql/context.js';
import { actorOf, audit } from '../audit/audit.service.js';
import { Role, User, UserStatus } from '../auth/user.entity.js';
import { ENCAPSULATED_PDF_SOP_CLASS } from '../dicom/part10.js';
import { DicomInstance, DicomStudy } from '../dicomweb/dicom-index.entity.js';
import { Facility } from '../facility/facility.entity.js';
import { notifyExamAvailable } from '../notification/notification.service.js';
import { identityLockKeys, lockIdentityKeys, upsertPatientFromRecord, type PatientRecordData } from '../patient/patient-identity.service.js';
import { Sex } from '../patient/patient.entity.js';
import { Document, DocumentType, Exam, ExamAccess, ExamRole, ExamStatus } from './exam.entity.js';

/** What a facility sends (the GraphQL input, as plain data). */
export interface PublishExamData {
  patient: {
    ipp: string;
    ins?: string | null;
    lastName: string;
    firstName: string;
    birthName?: string | null;
    birthDate?: string | null;
    sex?: string | null;
    addressLine?: string | null;
    postalCode?: string | null;
    city?: string | null;
    phone?: string | null;
  };
  accessionNumber: string;
  studyInstanceUid: string;
  title: string;
  date: Date;
  modalities?: string[] | null;
  prescriberRpps: string;
  correspondentRpps?: string[] | null;
  notifyCorrespondents?: boolean | null;
  documents: Array<{ type: DocumentType; title: string; date: Date; studyInstanceUid: string; sopInstanceUid?: string | null }>;
}

export interface PublishedExamView {
  id: string;
  accessionNumber: string;
  studyInstanceUid: string;
  title: string;
  date: Date;
  documentsCount: number;
  rights: Array<{ rpps: string; role: ExamRole; granted: boolean }>;
}

interface CleanDocument {
  type: DocumentType;
  title: string;
  date: Date;
  studyInstanceUid: string;
  sopInstanceUid: string | null;
}

interface CleanPublish {
  patient: PatientRecordData;
  accessionNumber: string;
  studyInstanceUid: string;
  title: string;
  date: Date;
  modalities: string[];
  prescriberRpps: string;
  correspondentRpps: string[];
  notifyCorrespondents: boolean;
  documents: CleanDocument[];
}

const UID_RE = /^[0-9]+(\.[0-9]+)*$/;
// Control characters would end up in DICOM-derived displays and logs; facilities never need them.
const CONTROL_RE = /\p{Cc}/u;
const MODALITY_RE = /^[A-Z0-9_]{1,16}$/;
const MAX_DOCUMENTS = 50;
const MAX_CORRESPONDENTS = 20;
const DAY_MS = 86_400_000;

function text(value: string | null | undefined, field: string, max: number, required: true): string;
function text(value: string | null | undefined, field: string, max: number, required: false): string | null;
function text(value: string | null | undefined, field: string, max: number, required: boolean): string | null {
  const v = (value ?? '').trim().replace(/\s+/g, ' ');
  if (!v) {
    if (required) throw badInput(`${field} is required`, field);
    return null;
  }
  if (v.length > max) throw badInput(`${field} is too long (at most ${max} characters)`, field);
  if (CONTROL_RE.test(v)) throw badInput(`${field} contains control characters`, field);
  return v;
}

function uid(value: string, field: string): string {
  const v = value.trim();
  if (!UID_RE.test(v) || v.length > 64) throw badInput(`${field} is not a DICOM UID (digits and dots, at most 64 characters)`, field);
  return v;
}

function rpps(value: string, field: string): string {
  const v = value.trim();
  if (!isValidRpps(v)) throw badInput(`${field} is not a valid RPPS number (11 digits with a Luhn check digit)`, field);
  return v;
}

function dateTime(value: Date, field: string): Date {
  const t = value instanceof Date ? value.getTime() : Number.NaN;
  if (Number.isNaN(t) || t < Date.UTC(1900, 0, 1) || t > Date.now() + DAY_MS) {
    throw badInput(`${field} must be a date between 1900 and today`, field);
  }
  return value;
}

function birthDate(value: string | null | undefined, field: string): string | null {
  const v = value?.trim();
  if (!v) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (!d || d.toISOString().slice(0, 10) !== v) throw badInput(`${field} must be a date as YYYY-MM-DD`, field);
  if (d.getUTCFullYear() < 1880 || d.getTime() > Date.now()) throw badInput(`${field} is out of range`, field);
  return v;
}

const isSex = (s: string): s is Sex => (Object.values(Sex) as string[]).includes(s);

function phone(value: string | null | undefined, field: string): string | null {
  const v = text(value, field, 30, false);
  if (v && !/^\+?[0-9 .()-]{6,30}$/.test(v)) throw badInput(`${field} is not a phone number`, field);
  return v;
}

/** Every check that needs no database, so bad input is refused before anything is read or written. */
export function validatePublishInput(input: PublishExamData): CleanPublish {
  const p = input.patient;
  const ins = text(p.ins, 'patient.ins', 15, false);
  if (ins && !isValidNir(ins)) throw badInput('patient.ins is not a valid INS matricule (15-character NIR with its key)', 'patient.ins');
  const sex = p.sex?.trim().toUpperCase() || null;
  if (sex !== null && !isSex(sex)) throw badInput('patient.sex must be F, M, O or U', 'patient.sex');
  const postalCode = text(p.postalCode, 'patient.postalCode', 10, false);
  if (postalCode && !/^[A-Za-z0-9 -]{2,10}$/.test(postalCode)) throw badInput('patient.postalCode is not a postal code', 'patient.postalCode');
  const patient: PatientRecordData = {
    ipp: text(p.ipp, 'patient.ipp', 64, true),
    ins,
    lastName: text(p.lastName, 'patient.lastName', 100, true),
    firstName: text(p.firstName, 'patient.firstName', 100, true),
    birthName: text(p.birthName, 'patient.birthName', 100, false),
    birthDate: birthDate(p.birthDate, 'patient.birthDate'),
    sex,
    addressLine: text(p.addressLine, 'patient.addressLine', 200, false),
    postalCode,
    city: text(p.city, 'patient.city', 100, false),
    phone: phone(p.phone, 'patient.phone'),
  };

  const modalities = [...new Set((input.modalities ?? []).map((m) => m.trim().toUpperCase()))];
  if (modalities.length > 16) throw badInput('modalities: at most 16', 'modalities');
  for (const m of modalities) if (!MODALITY_RE.test(m)) throw badInput(`modalities: "${m}" is not a DICOM modality code`, 'modalities');

  const prescriberRpps = rpps(input.prescriberRpps, 'prescriberRpps');
  const correspondents = (input.correspondentRpps ?? []).map((r, i) => rpps(r, `correspondentRpps[${i}]`));
  if (correspondents.length > MAX_CORRESPONDENTS) throw badInput(`correspondentRpps: at most ${MAX_CORRESPONDENTS}`, 'correspondentRpps');
  // The prescriber's right already covers the exam: a second, weaker row would add nothing.
  const correspondentRpps = [...new Set(correspondents)].filter((r) => r !== prescriberRpps);

  if (!input.documents.length) throw badInput('documents: an exam needs at least one document', 'documents');
  if (input.documents.length > MAX_DOCUMENTS) throw badInput(`documents: at most ${MAX_DOCUMENTS}`, 'documents');
  const documents = input.documents.map((d, i): CleanDocument => {
    const f = `documents[${i}]`;
    if (!Object.values(DocumentType).includes(d.type)) throw badInput(`${f}.type must be IMAGING or REPORT`, `${f}.type`);
    const sop = d.sopInstanceUid?.trim() ? uid(d.sopInstanceUid, `${f}.sopInstanceUid`) : null;
    if (d.type === DocumentType.REPORT && !sop) throw badInput(`${f}.sopInstanceUid is required for a REPORT (the Encapsulated PDF instance)`, `${f}.sopInstanceUid`);
    if (d.type === DocumentType.IMAGING && sop) throw badInput(`${f}.sopInstanceUid is for REPORT documents only`, `${f}.sopInstanceUid`);
    return {
      type: d.type,
      title: text(d.title, `${f}.title`, 200, true),
      date: dateTime(d.date, `${f}.date`),
      studyInstanceUid: uid(d.studyInstanceUid, `${f}.studyInstanceUid`),
      sopInstanceUid: sop,
    };
  });
  const keys = documents.map(documentKey);
  const dup = keys.findIndex((k, i) => keys.indexOf(k) !== i);
  if (dup !== -1) throw badInput(`documents[${dup}] repeats another document`, `documents[${dup}]`);

  return {
    patient,
    accessionNumber: text(input.accessionNumber, 'accessionNumber', 64, true),
    studyInstanceUid: uid(input.studyInstanceUid, 'studyInstanceUid'),
    title: text(input.title, 'title', 200, true),
    date: dateTime(input.date, 'date'),
    modalities,
    prescriberRpps,
    correspondentRpps,
    notifyCorrespondents: input.notifyCorrespondents ?? false,
    documents,
  };
}

/** What identifies a document across publications, so re-publishing keeps its id (and its shares). */
function documentKey(d: { type: DocumentType; studyInstanceUid?: string | null; sopInstanceUid?: string | null }): string {
  return d.type === DocumentType.REPORT ? `REPORT:${d.sopInstanceUid ?? ''}` : `IMAGING:${d.studyInstanceUid ?? ''}`;
}

function accessKey(a: { rpps: string; role: ExamRole }): string {
  return `${a.role}:${a.rpps}`;
}

/** Publishing is the imaging centres' business, through their API key only. */
function facilityOf(ctx: Context): Facility {
  const v = ctx.viewer;
  if (v.kind === 'anonymous') throw unauthenticated();
  if (v.kind !== 'facility') throw forbidden();
  return v.facility;
}

/**
 * Refuses studies that belong to another facility, and studies or report instances that have not
 * been stored yet (see docs/adr/0031-publishing-contract.md). Returns the modalities
 * the stored studies hold.
 */
async function checkStoredInstances(tx: EntityManager, facility: Facility, input: CleanPublish): Promise<string[]> {
  const studyUids = [...new Set([input.studyInstanceUid, ...input.documents.map((d) => d.studyInstanceUid)])];
  const studies = await tx.find(DicomStudy, { studyInstanceUid: { $in: studyUids } });
  const foreignExam = await tx.count(Exam, { studyInstanceUid: { $in: studyUids }, facility: { $ne: facility.id } });
  if (foreignExam > 0 || studies.some((s) => s.facility.id !== facility.id)) {
    throw new AppError(ErrorCode.FORBIDDEN, 'This study belongs to another facility', { field: 'studyInstanceUid' });
  }
  const missing = studyUids.filter((u) => !studies.some((s) => s.studyInstanceUid === u)).map((u) => `study ${u}`);

  const reports = input.documents.filter((d) => d.type === DocumentType.REPORT);
  const instances = reports.length
    ? await tx.find(DicomInstance, { sopInstanceUid: { $in: reports.map((d) => d.sopInstanceUid as string) } }, { populate: ['series.study'] })
    : [];
  for (const [i, d] of input.documents.entries()) {
    if (d.type !== DocumentType.REPORT) continue;
    const instance = instances.find((x) => x.sopInstanceUid === d.sopInstanceUid);
    if (!instance) {
      missing.push(`instance ${String(d.sopInstanceUid)}`);
      continue;
    }
    if (instance.series.study.studyInstanceUid !== d.studyInstanceUid) {
      throw badInput(`documents[${i}].sopInstanceUid is not an instance of study ${d.studyInstanceUid}`, `documents[${i}].sopInstanceUid`);
    }
    if (instance.sopClassUid !== ENCAPSULATED_PDF_SOP_CLASS) {
      throw badInput(`documents[${i}].sopInstanceUid is not an Encapsulated PDF instance`, `documents[${i}].sopInstanceUid`);
    }
  }
  if (missing.length) {
    throw new AppError(ErrorCode.BAD_USER_INPUT, `Not stored yet, send the instances through STOW-RS first: ${missing.join(', ')}`, {
      field: 'documents',
      missing,
    });
  }
  return [...new Set(studies.flatMap((s) => s.modalities))];
}

async function reconcileDocuments(tx: EntityManager, exam: Exam, wanted: CleanDocument[]): Promise<void> {
  const existing = await tx.find(Document, { exam });
  for (const d of wanted) {
    const found = existing.find((e) => documentKey(e) === documentKey(d));
    if (found) tx.assign(found, { title: d.title, date: d.date });
    else tx.persist(tx.create(Document, { exam, ...d }));
  }
  // Only what the facility no longer lists goes; kept documents keep their ids, hence their shares.
  for (const e of existing) if (!wanted.some((d) => documentKey(d) === documentKey(e))) tx.remove(e);
}

async function reconcileAccess(tx: EntityManager, exam: Exam, input: CleanPublish): Promise<{ rights: ExamAccess[]; physicians: User[] }> {
  const wanted = [
    { rpps: input.prescriberRpps, role: ExamRole.PRESCRIBER },
    ...input.correspondentRpps.map((r) => ({ rpps: r, role: ExamRole.CORRESPONDENT })),
  ];
  const physicians = await tx.find(User, { rpps: { $in: wanted.map((w) => w.rpps) }, role: Role.PHYSICIAN });
  const existing = await tx.find(ExamAccess, { exam });
  const rights = wanted.map((w) => {
    const physician = physicians.find((u) => u.rpps === w.rpps) ?? null;
    const found = existing.find((e) => accessKey(e) === accessKey(w));
    if (found) {
      // Pending until the account exists (auth.service grantPendingRights fills it at activation).
      if (physician && !found.physician) found.physician = physician;
      return found;
    }
    const created = tx.create(ExamAccess, { exam, rpps: w.rpps, role: w.role, physician });
    tx.persist(created);
    return created;
  });
  for (const e of existing) if (!rights.includes(e)) tx.remove(e);
  return { rights, physicians };
}

/**
 * Creates or updates the patient, their record at this facility, the exam, its documents and the
 * rights of the physicians the patient named, then notifies them — in one transaction: it all
 * commits, or nothing does. Re-publishing the same accession number updates in place and
 * notifies nobody twice.
 */
export async function publishExam(ctx: Context, raw: PublishExamData): Promise<PublishedExamView> {
  const viewerFacility = facilityOf(ctx);
  const input = validatePublishInput(raw);
  const result = await ctx.em.transactional(async (tx) => {
    const facility = tx.getReference(Facility, viewerFacility.id);
    await lockIdentityKeys(tx, [...identityLockKeys(facility, input.patient), `exam:${facility.id}:${input.accessionNumber}`]);
    const storedModalities = await checkStoredInstances(tx, facility, input);

    const { patient } = await upsertPatientFromRecord(tx, facility, input.patient);
    const fields = {
      patient,
      studyInstanceUid: input.studyInstanceUid,
      title: input.title,
      date: input.date,
      modalities: input.modalities.length ? input.modalities : storedModalities,
      status: ExamStatus.PUBLISHED,
    };
    const existing = await tx.findOne(Exam, { facility, accessionNumber: input.accessionNumber });
    const exam = existing ? tx.assign(existing, fields) : tx.create(Exam, { ...fields, facility, accessionNumber: input.accessionNumber });
    tx.persist(exam);

    await reconcileDocuments(tx, exam, input.documents);
    const { rights, physicians } = await reconcileAccess(tx, exam, input);
    await tx.flush();

    // A physician removed from the exam must not keep a bell entry pointing at it.
    await tx.execute(
      `delete from notification n where n.exam_id = ? and n.kind = 'EXAM_AVAILABLE'
         and not exists (select 1 from exam_access a where a.exam_id = n.exam_id and a.physician_id = n.recipient_id)`,
      [exam.id],
    );
    const toNotify = new Set([input.prescriberRpps, ...(input.notifyCorrespondents ? input.correspondentRpps : [])]);
    const recipients = physicians.filter((u) => u.status === UserStatus.ACTIVE && toNotify.has(u.rpps ?? ''));
    await notifyExamAvailable(tx, ctx.deps, exam.id, recipients);

    audit(tx, 'EXAM_PUBLISHED', { ...actorOf(ctx), facilityId: facility.id, patientId: patient.id, examId: exam.id });
    await tx.flush();
    return {
      id: exam.id,
      accessionNumber: exam.accessionNumber,
      studyInstanceUid: input.studyInstanceUid,
      title: exam.title,
      date: exam.date,
      documentsCount: input.documents.length,
      rights: rights.map((r) => ({ rpps: r.rpps, role: r.role, granted: !!r.physician })),
    };
  });
  ctx.deps.outbox.wake();
  return result;
}
