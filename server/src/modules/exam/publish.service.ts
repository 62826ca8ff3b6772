import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError, ErrorCode, badInput, forbidden, unauthenticated } from '../../common/errors.js';
import { cleanDisplayText, isPersonName, type DisplayTextProblem } from '../../common/display-text.js';
import { isValidNir, isValidRpps } from '../../common/identifiers.js';
import type { Context } from '../../graphql/context.js';
import { actorOf, audit } from '../audit/audit.service.js';
import { Role, User, UserStatus } from '../auth/user.entity.js';
import { ENCAPSULATED_PDF_SOP_CLASS } from '../dicom/part10.js';
import type { Facility } from '../facility/facility.entity.js';
import { notifyExamAvailable } from '../notification/notification.service.js';
import { identityLockKeys, lockIdentityKeys, upsertPatientFromRecord, type PatientRecordData } from '../patient/patient-identity.service.js';
import { Sex } from '../patient/patient.entity.js';
import { DocumentType, ExamRole } from './exam.entity.js';

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
const MODALITY_RE = /^[A-Z0-9_]{1,16}$/;
const MAX_DOCUMENTS = 50;
const MAX_CORRESPONDENTS = 20;
const DAY_MS = 86_400_000;

function text(value: string | null | undefined, field: string, max: number, required: true): string;
function text(value: string | null | undefined, field: string, max: number, required: false): string | null;
function text(value: string | null | undefined, field: string, max: number, required: boolean): string | null {
  const clean = cleanDisplayText(value ?? '');
  if ('problem' in clean) throw badInput(`${field} ${DISPLAY_PROBLEMS[clean.problem]}${clean.codePoint ? ` (${clean.codePoint})` : ''}`, field);
  const v = clean.text;
  if (!v) {
    if (required) throw badInput(`${field} is required`, field);
    return null;
  }
  if (v.length > max) throw badInput(`${field} is too long (at most ${max} characters)`, field);
  return v;
}

const DISPLAY_PROBLEMS: Record<DisplayTextProblem, string> = {
  INVISIBLE: 'contains an invisible, control or formatting character',
  DETACHED_MARK: 'contains an accent or combining mark that follows no letter',
  STACKED_MARKS: 'contains more than three combining marks in a row',
};

function name(value: string | null | undefined, field: string, required: true): string;
function name(value: string | null | undefined, field: string, required: false): string | null;
function name(value: string | null | undefined, field: string, required: boolean): string | null {
  const v = required ? text(value, field, 100, true) : text(value, field, 100, false);
  if (v !== null && !isPersonName(v)) throw badInput(`${field} must contain at least one letter`, field);
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
    lastName: name(p.lastName, 'patient.lastName', true),
    firstName: name(p.firstName, 'patient.firstName', true),
    birthName: name(p.birthName, 'patient.birthName', false),
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
function documentKey(d: { type: DocumentType | string; studyInstanceUid?: string | null; sopInstanceUid?: string | null }): string {
  return d.type === DocumentType.REPORT ? `REPORT:${d.sopInstanceUid ?? ''}` : `IMAGING:${d.studyInstanceUid ?? ''}`;
}

/** Publishing is the imaging centres' business, through their API key only. */
function facilityOf(ctx: Context): Facility {
  const v = ctx.viewer;
  if (v.kind === 'anonymous') throw unauthenticated();
  if (v.kind !== 'facility') throw forbidden();
  return v.facility;
}

/** What the publication needs to know before writing, read in one statement under the locks. */
interface PublishState {
  studies: Array<{ studyInstanceUid: string; facilityId: string; modalities: string[] }>;
  /** An exam of another facility already shows one of these studies. */
  foreignExam: boolean;
  reports: Array<{ sopInstanceUid: string; sopClassUid: string; studyInstanceUid: string }>;
  exam: {
    id: string;
    documents: Array<{ id: string; type: DocumentType; studyInstanceUid: string | null; sopInstanceUid: string | null }>;
    access: Array<{ rpps: string; role: ExamRole; physicianId: string | null }>;
  } | null;
}

async function readState(tx: EntityManager, facilityId: string, input: CleanPublish, studyUids: string[]): Promise<PublishState> {
  const reportUids = input.documents.flatMap((d) => (d.sopInstanceUid ? [d.sopInstanceUid] : []));
  const [row] = await tx.execute<PublishState[]>(
    `select
       (select coalesce(json_agg(json_build_object('studyInstanceUid', s.study_instance_uid, 'facilityId', s.facility_id, 'modalities', s.modalities)), '[]')
          from dicom_study s where s.study_instance_uid in (select jsonb_array_elements_text(?::jsonb))) as studies,
       exists (select 1 from exam e where e.study_instance_uid in (select jsonb_array_elements_text(?::jsonb)) and e.facility_id <> ?) as "foreignExam",
       (select coalesce(json_agg(json_build_object('sopInstanceUid', i.sop_instance_uid, 'sopClassUid', i.sop_class_uid, 'studyInstanceUid', st.study_instance_uid)), '[]')
          from dicom_instance i join dicom_series se on se.id = i.series_id join dicom_study st on st.id = se.study_id
         where i.sop_instance_uid in (select jsonb_array_elements_text(?::jsonb))) as reports,
       (select json_build_object(
           'id', e.id,
           'documents', (select coalesce(json_agg(json_build_object('id', d.id, 'type', d.type, 'studyInstanceUid', d.study_instance_uid, 'sopInstanceUid', d.sop_instance_uid)), '[]')
                           from document d where d.exam_id = e.id),
           'access', (select coalesce(json_agg(json_build_object('rpps', a.rpps, 'role', a.role, 'physicianId', a.physician_id)), '[]')
                        from exam_access a where a.exam_id = e.id))
          from exam e where e.facility_id = ? and e.accession_number = ?) as exam`,
    [JSON.stringify(studyUids), JSON.stringify(studyUids), facilityId, JSON.stringify(reportUids), facilityId, input.accessionNumber],
  );
  if (!row) throw new Error('publish state query returned no row');
  return row;
}

/**
 * Refuses studies that belong to another facility, and studies or report instances that have not
 * been stored yet (see docs/adr/0031-publishing-contract.md). Returns the modalities
 * the stored studies hold.
 */
function checkStoredInstances(state: PublishState, facilityId: string, input: CleanPublish, studyUids: string[]): string[] {
  if (state.foreignExam || state.studies.some((s) => s.facilityId !== facilityId)) {
    throw new AppError(ErrorCode.FORBIDDEN, 'This study belongs to another facility', { field: 'studyInstanceUid' });
  }
  const missing = studyUids.filter((u) => !state.studies.some((s) => s.studyInstanceUid === u)).map((u) => `study ${u}`);
  for (const [i, d] of input.documents.entries()) {
    if (d.type !== DocumentType.REPORT) continue;
    const instance = state.reports.find((x) => x.sopInstanceUid === d.sopInstanceUid);
    if (!instance) {
      missing.push(`instance ${String(d.sopInstanceUid)}`);
      continue;
    }
    if (instance.studyInstanceUid !== d.studyInstanceUid) {
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
  return [...new Set(state.studies.flatMap((s) => s.modalities))];
}

interface WantedRight {
  rpps: string;
  role: ExamRole;
  /** Kept from the existing right, else the account holding the RPPS; null while pending. */
  physicianId: string | null;
}

/**
 * The rights the patient named. A pending right (no account yet) is granted by auth.service
 * grantPendingRights at activation; one already granted keeps its physician.
 */
function wantedRights(input: CleanPublish, state: PublishState, physicians: User[]): WantedRight[] {
  const wanted = [
    { rpps: input.prescriberRpps, role: ExamRole.PRESCRIBER },
    ...input.correspondentRpps.map((r) => ({ rpps: r, role: ExamRole.CORRESPONDENT })),
  ];
  return wanted.map((w) => {
    const existing = state.exam?.access.find((a) => a.rpps === w.rpps && a.role === w.role);
    return { ...w, physicianId: existing?.physicianId ?? physicians.find((u) => u.rpps === w.rpps)?.id ?? null };
  });
}

/**
 * Writes the exam, its documents and its rights in one statement. Documents the facility still
 * lists keep their ids (hence their shares); only what it no longer lists goes, and a physician
 * removed from the exam loses the bell entry that pointed at it.
 */
async function writeExam(
  tx: EntityManager,
  examId: string,
  facilityId: string,
  patientId: string,
  input: CleanPublish,
  modalities: string[],
  state: PublishState,
  rights: WantedRight[],
): Promise<void> {
  const documents = input.documents.map((d) => ({
    id: state.exam?.documents.find((e) => documentKey(e) === documentKey(d))?.id ?? null,
    type: d.type,
    title: d.title,
    date: d.date.toISOString(),
    study_instance_uid: d.studyInstanceUid,
    sop_instance_uid: d.sopInstanceUid,
  }));
  const granted = [...new Set(rights.flatMap((r) => (r.physicianId ? [r.physicianId] : [])))];
  const rows = await tx.execute<Array<{ id: string }>>(
    `with exam_row as (
       insert into exam as x (id, patient_id, facility_id, accession_number, study_instance_uid, title, date, modalities, status, published_at, updated_at)
       values (?, ?, ?, ?, ?, ?, ?::timestamptz, array(select jsonb_array_elements_text(?::jsonb)), 'PUBLISHED', now(), now())
       on conflict (facility_id, accession_number) do update set patient_id = excluded.patient_id, study_instance_uid = excluded.study_instance_uid,
         title = excluded.title, date = excluded.date, modalities = excluded.modalities, status = excluded.status, updated_at = excluded.updated_at
       returning x.id
     ),
     wanted_documents as (
       select * from jsonb_to_recordset(?::jsonb) as w(id uuid, type text, title text, date timestamptz, study_instance_uid text, sop_instance_uid text)
     ),
     kept_documents as (
       update document d set title = w.title, date = w.date from wanted_documents w, exam_row e where d.id = w.id and d.exam_id = e.id returning d.id
     ),
     new_documents as (
       insert into document (id, exam_id, type, title, date, study_instance_uid, sop_instance_uid, created_at)
       select gen_random_uuid(), e.id, w.type, w.title, w.date, w.study_instance_uid, w.sop_instance_uid, now()
         from wanted_documents w, exam_row e where w.id is null
       returning id
     ),
     dropped_documents as (
       delete from document d using exam_row e
        where d.exam_id = e.id and d.id not in (select w.id from wanted_documents w where w.id is not null)
       returning d.id
     ),
     wanted_rights as (
       select * from jsonb_to_recordset(?::jsonb) as w(rpps text, role text, "physicianId" uuid)
     ),
     upserted_rights as (
       insert into exam_access as a (id, exam_id, physician_id, rpps, role, granted_at)
       select gen_random_uuid(), e.id, w."physicianId", w.rpps, w.role, now() from wanted_rights w, exam_row e
       on conflict (exam_id, rpps, role) do update set physician_id = excluded.physician_id
         where a.physician_id is null and excluded.physician_id is not null
       returning a.id
     ),
     dropped_rights as (
       delete from exam_access a using exam_row e
        where a.exam_id = e.id and (a.rpps, a.role) not in (select w.rpps, w.role from wanted_rights w)
       returning a.id
     ),
     dropped_notifications as (
       delete from notification n using exam_row e
        where n.exam_id = e.id and n.kind = 'EXAM_AVAILABLE' and n.recipient_id not in (select jsonb_array_elements_text(?::jsonb)::uuid)
       returning n.id
     )
     select id from exam_row`,
    [
      examId, patientId, facilityId, input.accessionNumber, input.studyInstanceUid, input.title, input.date.toISOString(), JSON.stringify(modalities),
      JSON.stringify(documents), JSON.stringify(rights), JSON.stringify(granted),
    ],
  );
  // Only a writer that bypassed the exam lock could make these differ.
  if (rows[0]?.id !== examId) throw new Error('exam upsert wrote another exam than the one read');
}

/** SQLSTATEs after which the same transaction, run again, can succeed. */
const RETRYABLE = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '23505', // unique_violation: a patient's INS created by a writer that did not take the identity locks
]);
const MAX_ATTEMPTS = 3;

function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRYABLE.has(code);
}

/**
 * Creates or updates the patient, their record at this facility, the exam, its documents and the
 * rights of the physicians the patient named, then notifies them — in one transaction: it all
 * commits, or nothing does. Re-publishing the same accession number updates in place and
 * notifies nobody twice; two identical calls at once (a PACS retrying) both answer the one exam.
 * About a dozen statements whatever the number of documents and rights (plus four per physician
 * notified): each round trip inside the transaction holds the locks longer.
 */
export async function publishExam(ctx: Context, raw: PublishExamData): Promise<PublishedExamView> {
  const facilityId = facilityOf(ctx).id;
  const input = validatePublishInput(raw);
  const studyUids = [...new Set([input.studyInstanceUid, ...input.documents.map((d) => d.studyInstanceUid)])];
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await ctx.em.transactional((tx) => publishInTransaction(ctx, tx, facilityId, input, studyUids));
      ctx.deps.outbox.wake();
      return result;
    } catch (err) {
      if (attempt >= MAX_ATTEMPTS || !isRetryable(err)) throw err;
    }
  }
}

async function publishInTransaction(ctx: Context, tx: EntityManager, facilityId: string, input: CleanPublish, studyUids: string[]): Promise<PublishedExamView> {
  await lockIdentityKeys(tx, [...identityLockKeys(facilityId, input.patient), `exam:${facilityId}:${input.accessionNumber}`]);
  const state = await readState(tx, facilityId, input, studyUids);
  const storedModalities = checkStoredInstances(state, facilityId, input, studyUids);
  const physicians = await tx.find(User, { rpps: { $in: [input.prescriberRpps, ...input.correspondentRpps] }, role: Role.PHYSICIAN });
  const rights = wantedRights(input, state, physicians);

  const patientId = await upsertPatientFromRecord(tx, facilityId, input.patient);
  // The exam's id is known before it is written (the exam lock makes `state.exam` exact), so the
  // trace goes first: writing the exam bumps the facility's statistics counters, whose row locks
  // every other publication of the facility then waits for until this one commits.
  const examId = state.exam?.id ?? randomUUID();
  audit(tx, 'EXAM_PUBLISHED', { ...actorOf(ctx), facilityId, patientId, examId });
  await tx.flush();
  const modalities = input.modalities.length ? input.modalities : storedModalities;
  await writeExam(tx, examId, facilityId, patientId, input, modalities, state, rights);

  const toNotify = new Set([input.prescriberRpps, ...(input.notifyCorrespondents ? input.correspondentRpps : [])]);
  const recipients = physicians.filter((u) => u.status === UserStatus.ACTIVE && toNotify.has(u.rpps ?? ''));
  await notifyExamAvailable(tx, ctx.deps, examId, recipients);
  return {
    id: examId,
    accessionNumber: input.accessionNumber,
    studyInstanceUid: input.studyInstanceUid,
    title: input.title,
    date: input.date,
    documentsCount: input.documents.length,
    rights: rights.map((r) => ({ rpps: r.rpps, role: r.role, granted: r.physicianId !== null })),
  };
}
