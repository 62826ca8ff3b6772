import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../common/errors.js';
import { dicomDateTimeIso, readDicomDate } from '../dicom/date-time.js';
import { DicomParseError } from '../dicom/errors.js';
import { elementBytes, parsePart10, type ParsedInstance } from '../dicom/part10.js';
import { validatePublishInput } from '../exam/publish.service.js';
import type { DocumentType } from '../exam/exam.entity.js';
import { FacilityClient, FacilityClientError, type PublishDocument, type PublishExamRequest } from './facility-client.js';

/**
 * `ingest`: publishes real DICOM files as an imaging centre would. Files are grouped by
 * StudyInstanceUID, one exam per study, never two studies in one exam. Each study's publishExam
 * input is built and checked first (identity, dates, prescriber: the portal's own checks); only a
 * study that can be published is sent through STOW-RS (unless storeAnyway), then published.
 * Patient identity comes from the tags, overridden by the options, then by a mapping for the
 * patient's PatientID, then by a mapping for the study (ADR 0103).
 */

/** Identity and accession fields that options or a mapping file may supply or override. */
export interface IdentityOverride {
  ipp?: string;
  lastName?: string;
  firstName?: string;
  /** YYYY-MM-DD. */
  birthDate?: string;
  sex?: string;
  accessionNumber?: string;
}

/** A mapping file's content: overrides per StudyInstanceUID and per PatientID (as the tags say). */
export interface IdentityMapping {
  studies: Map<string, IdentityOverride>;
  patients: Map<string, IdentityOverride>;
}

export interface IngestOptions {
  serverUrl: string;
  facilityKey: string;
  prescriberRpps: string;
  correspondentRpps: string[];
  title?: string;
  /** ISO date or date-time; the study's StudyDate/StudyTime otherwise. */
  date?: string;
  /** Applies to every study (only one study may be given an accession number this way). */
  identity?: IdentityOverride;
  mapping?: IdentityMapping;
  /** Store the instances of a study even when it cannot be published. */
  storeAnyway?: boolean;
  log: (line: string) => void;
}

export type IngestStatus = 'PUBLISHED' | 'NOT_PUBLISHABLE' | 'STORE_FAILED' | 'PUBLISH_FAILED';

export interface IngestedStudy {
  studyInstanceUid: string;
  files: number;
  stored: number;
  failed: number;
  status: IngestStatus;
  accessionNumber: string | null;
  examId: string | null;
  error: string | null;
}

export interface IngestReport {
  studies: IngestedStudy[];
  /** DICOM files that could not be read (truncated, invalid), by path; files that are no DICOM at all are skipped. */
  unreadable: string[];
  /** True when every file was read and every study published. */
  ok: boolean;
}

interface StudyFiles {
  uid: string;
  files: Array<{ file: string; parsed: ParsedInstance }>;
}

async function* walk(entry: string): AsyncGenerator<string> {
  const info = await stat(entry);
  if (info.isFile()) {
    yield entry;
    return;
  }
  if (!info.isDirectory()) return;
  const children = (await readdir(entry)).sort();
  for (const child of children) yield* walk(path.join(entry, child));
}

/**
 * DICOM DA as YYYY-MM-DD when it can be a living patient's birth date. Test and anonymised files
 * carry placeholders such as 18000101, which the portal would refuse: such a date is left out.
 */
export function birthDateOf(da: string | undefined): string | null {
  const date = readDicomDate(da);
  if (!date) return null;
  const iso = `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`;
  return Number(date.slice(0, 4)) >= 1880 && Date.parse(`${iso}T00:00:00Z`) <= Date.now() ? iso : null;
}

/**
 * PatientName's first component group as family name, given names and (when the RIS put it in
 * the prefix or middle name) nothing else: "DUPONT^Hélène Marie" → DUPONT / Hélène Marie.
 */
export function splitPersonName(raw: string | undefined): { lastName: string; firstName: string } {
  const alphabetic = (raw ?? '').split('=').find((g) => g.replace(/\^/g, '').trim() !== '') ?? '';
  const [family = '', given = '', middle = ''] = alphabetic.split('^').map((s) => s.trim());
  return { lastName: family, firstName: [given, middle].filter(Boolean).join(' ') };
}

/** A text attribute decoded per the instance's SpecificCharacterSet, or undefined when empty. */
function decodedText(parsed: ParsedInstance, tag: string, vr: string): string | undefined {
  const element = parsed.dataSet.elements[tag];
  if (!element?.length) return undefined;
  return parsed.charset.decode(elementBytes(parsed.dataSet, element), vr).replace(/[\0 ]+$/, '').trim() || undefined;
}

function first<T>(items: Array<{ parsed: ParsedInstance }>, pick: (p: ParsedInstance) => T | undefined): T | undefined {
  for (const { parsed } of items) {
    const v = pick(parsed);
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

/** A study that cannot be published as it stands, with the reason an operator can act on. */
export class NotPublishable extends Error {
  override name = 'NotPublishable';
}

/**
 * The exam's accession number: the study's AccessionNumber when it has one that no other study of
 * this run shares, else its StudyInstanceUID (unique by construction, and the same on every
 * run, so a second ingest updates the exam rather than adding one). A StudyID is never used: it
 * is a per-modality counter ("1CT1" on three different studies of the corpus).
 */
export function accessionFor(study: StudyFiles, override: IdentityOverride, sharedAccessions: ReadonlySet<string>): string {
  if (override.accessionNumber) return override.accessionNumber.trim();
  const tag = first(study.files, (p) => p.study.accessionNumber)?.trim();
  if (tag && sharedAccessions.has(tag)) {
    throw new NotPublishable(`AccessionNumber ${tag} is shared by several studies: give each its own in a mapping file (accessionNumber)`);
  }
  return tag || study.uid;
}

/** The overrides that apply to a study, the most specific last. */
function overrideFor(study: StudyFiles, opts: Pick<IngestOptions, 'identity' | 'mapping'>): IdentityOverride {
  const patientId = first(study.files, (p) => p.patient.id)?.trim();
  const defined = (o: IdentityOverride | undefined): IdentityOverride => Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined && v !== ''));
  return {
    ...defined(opts.identity),
    ...defined(patientId !== undefined ? opts.mapping?.patients.get(patientId) : undefined),
    ...defined(opts.mapping?.studies.get(study.uid)),
  };
}

/**
 * The publishExam input for one study, from its tags, the command's options and the mapping,
 * checked as the portal will check it. Throws NotPublishable with the reason.
 */
export function publishRequestFor(
  study: StudyFiles,
  opts: Omit<IngestOptions, 'serverUrl' | 'facilityKey' | 'log' | 'storeAnyway'>,
  sharedAccessions: ReadonlySet<string> = new Set(),
): PublishExamRequest {
  const files = study.files;
  const override = overrideFor(study, opts);
  const name = splitPersonName(first(files, (p) => p.patient.name?.raw));
  const description = first(files, (p) => p.study.description);
  const date = opts.date ? new Date(opts.date).toISOString() : dicomDateTimeIso(first(files, (p) => p.study.date), first(files, (p) => p.study.time));
  if (!date) throw new NotPublishable('StudyDate is absent or unreadable: give --date');
  const title = opts.title ?? description ?? 'Examen d’imagerie';
  const reports = files.filter((f) => f.parsed.isEncapsulatedDocument && f.parsed.encapsulatedDocument?.mimeType === 'application/pdf');
  const images = files.filter((f) => !reports.includes(f));
  const documents: PublishDocument[] = [];
  if (images.length) documents.push({ type: 'IMAGING', title: `${title} - (IMAGES)`, date, studyInstanceUid: study.uid });
  for (const r of reports) {
    const contentDate = dicomDateTimeIso(r.parsed.dataSet.string('x00080023'), r.parsed.dataSet.string('x00080033'));
    const documentTitle = decodedText(r.parsed, 'x00420010', 'ST');
    documents.push({
      type: 'REPORT',
      title: documentTitle ?? (reports.length > 1 ? `${title} - (Compte-rendu ${reports.indexOf(r) + 1})` : `${title} - (Compte-rendu)`),
      date: contentDate ?? date,
      studyInstanceUid: study.uid,
      sopInstanceUid: r.parsed.sopInstanceUid,
    });
  }
  const modalities = [...new Set(files.map((f) => f.parsed.series.modality?.trim().toUpperCase()).filter((m): m is string => !!m))];
  const sex = (override.sex ?? first(files, (p) => p.patient.sex))?.trim().toUpperCase();
  const request: PublishExamRequest = {
    patient: {
      ipp: (override.ipp ?? first(files, (p) => p.patient.id) ?? '').trim(),
      lastName: (override.lastName ?? name.lastName).trim(),
      firstName: (override.firstName ?? name.firstName).trim(),
      birthDate: override.birthDate ?? birthDateOf(first(files, (p) => p.patient.birthDate)),
      sex: sex && ['F', 'M', 'O'].includes(sex) ? sex : null,
    },
    accessionNumber: accessionFor(study, override, sharedAccessions),
    studyInstanceUid: study.uid,
    title,
    date,
    modalities,
    prescriberRpps: opts.prescriberRpps,
    correspondentRpps: opts.correspondentRpps,
    documents,
  };
  checkPublishable(request);
  return request;
}

const IDENTITY_HINT: Record<string, string> = {
  'patient.ipp': ' (no PatientID: give --patient-id or a mapping)',
  'patient.lastName': ' (no family name in PatientName: give --last-name or a mapping)',
  'patient.firstName': ' (no given name in PatientName: give --first-name or a mapping)',
};

/** The portal's own checks of a publishExam input that need no database. */
function checkPublishable(request: PublishExamRequest): void {
  try {
    validatePublishInput({
      ...request,
      date: new Date(request.date),
      documents: request.documents.map((d) => ({ ...d, type: d.type as DocumentType, date: new Date(d.date) })),
    });
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    const field = typeof err.extensions?.field === 'string' ? err.extensions.field : '';
    throw new NotPublishable(`${err.message}${IDENTITY_HINT[field] ?? ''}`);
  }
}

/** Accession numbers that more than one study of the run carries. */
function sharedAccessionsOf(studies: StudyFiles[]): Set<string> {
  const seen = new Map<string, number>();
  for (const s of studies) {
    const a = first(s.files, (p) => p.study.accessionNumber)?.trim();
    if (a) seen.set(a, (seen.get(a) ?? 0) + 1);
  }
  return new Set([...seen].filter(([, n]) => n > 1).map(([a]) => a));
}

/** Reads, groups, checks, stores and publishes; one result per study. */
export async function ingest(inputs: string[], opts: IngestOptions): Promise<IngestReport> {
  const byUid = new Map<string, StudyFiles>();
  const unreadable: string[] = [];
  for (const input of inputs) {
    for await (const file of walk(input)) {
      let parsed: ParsedInstance;
      try {
        parsed = parsePart10(await readFile(file));
      } catch (err) {
        if (!(err instanceof DicomParseError)) throw err;
        // A file that is no DICOM at all (notes, a viewer's executable on a CD) is not a failure.
        if (err.reason === 'NOT_DICOM') {
          opts.log(`skipped ${file}: not a DICOM file`);
          continue;
        }
        opts.log(`unreadable ${file}: ${err.message}`);
        unreadable.push(file);
        continue;
      }
      const study = byUid.get(parsed.studyInstanceUid) ?? { uid: parsed.studyInstanceUid, files: [] };
      study.files.push({ file, parsed });
      byUid.set(parsed.studyInstanceUid, study);
    }
  }
  const studies = [...byUid.values()];
  if (studies.length === 0) opts.log('No DICOM file found.');
  if (opts.identity?.accessionNumber && studies.length > 1) {
    throw new Error('ingest: --accession names one exam, but the files hold several studies (use a mapping file)');
  }
  const shared = sharedAccessionsOf(studies);
  const client = new FacilityClient(opts.serverUrl, opts.facilityKey);
  const out: IngestedStudy[] = [];
  for (const study of studies) {
    const result: IngestedStudy = {
      studyInstanceUid: study.uid, files: study.files.length, stored: 0, failed: 0, status: 'NOT_PUBLISHABLE', accessionNumber: null, examId: null, error: null,
    };
    out.push(result);
    let request: PublishExamRequest | undefined;
    try {
      request = publishRequestFor(study, opts, shared);
      result.accessionNumber = request.accessionNumber;
    } catch (err) {
      if (!(err instanceof NotPublishable)) throw err;
      result.error = err.message;
      if (!opts.storeAnyway) continue;
    }
    try {
      const stow = await client.stow(
        (async function* () {
          for (const f of study.files) yield await readFile(f.file);
        })(),
      );
      result.stored = stow.stored.length;
      result.failed = stow.failed.length;
      if (stow.failed.length > 0 || stow.stored.length === 0) {
        if (request) result.status = 'STORE_FAILED';
        result.error ??= `${stow.failed.length} instance(s) refused by STOW-RS`;
        continue;
      }
    } catch (err) {
      if (!(err instanceof FacilityClientError)) throw err;
      if (request) result.status = 'STORE_FAILED';
      result.error ??= err.message;
      continue;
    }
    if (!request) continue;
    try {
      const published = await client.publishExam(request);
      result.status = 'PUBLISHED';
      result.examId = published.id;
    } catch (err) {
      if (!(err instanceof FacilityClientError)) throw err;
      result.status = 'PUBLISH_FAILED';
      result.error = err.message;
    }
  }
  return { studies: out, unreadable, ok: unreadable.length === 0 && studies.length > 0 && out.every((s) => s.status === 'PUBLISHED') };
}

/** The per-study report as a plain-text table (no patient data: UIDs, counts, accession, status). */
export function reportTable(report: IngestReport): string {
  const head = ['StudyInstanceUID', 'files', 'stored', 'failed', 'accession', 'status', 'exam / reason'];
  const rows = report.studies.map((s) => [
    s.studyInstanceUid, String(s.files), String(s.stored), String(s.failed), s.accessionNumber ?? '-', s.status, s.status === 'PUBLISHED' ? String(s.examId) : (s.error ?? ''),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  const published = report.studies.filter((s) => s.status === 'PUBLISHED').length;
  return [
    line(head),
    ...rows.map(line),
    `${published} of ${report.studies.length} study(ies) published` + (report.unreadable.length ? `; ${report.unreadable.length} unreadable file(s)` : ''),
  ].join('\n');
}

/** A mapping file (CSV with a header row, or JSON: an array of the same objects). */
export function parseMapping(text: string, fileName: string): IdentityMapping {
  const rows: Array<Record<string, string>> = fileName.toLowerCase().endsWith('.json') ? jsonRows(text) : csvRows(text);
  const mapping: IdentityMapping = { studies: new Map(), patients: new Map() };
  const FIELDS: Array<keyof IdentityOverride> = ['ipp', 'lastName', 'firstName', 'birthDate', 'sex', 'accessionNumber'];
  rows.forEach((row, i) => {
    const where = `mapping row ${i + 1}`;
    const override: IdentityOverride = {};
    for (const field of FIELDS) {
      const v = row[field]?.trim();
      if (v) override[field] = v;
    }
    if (override.birthDate && !/^\d{4}-\d{2}-\d{2}$/.test(override.birthDate)) throw new Error(`${where}: birthDate must be YYYY-MM-DD`);
    const study = row.studyInstanceUid?.trim();
    const patient = row.patientId?.trim();
    if (study) mapping.studies.set(study, override);
    else if (patient) {
      if (override.accessionNumber) throw new Error(`${where}: accessionNumber belongs to a study row (studyInstanceUid)`);
      mapping.patients.set(patient, override);
    } else throw new Error(`${where}: give studyInstanceUid or patientId`);
  });
  return mapping;
}

function jsonRows(text: string): Array<Record<string, string>> {
  const data: unknown = JSON.parse(text);
  if (!Array.isArray(data) || !data.every((r) => r && typeof r === 'object' && Object.values(r as object).every((v) => typeof v === 'string'))) {
    throw new Error('a JSON mapping is an array of objects whose values are strings');
  }
  return data as Array<Record<string, string>>;
}

/** RFC 4180 CSV, comma or semicolon separated (what a spreadsheet exports), first row the column names. */
function csvRows(text: string): Array<Record<string, string>> {
  const records: string[][] = [];
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  const separator = firstLine.includes(';') && !firstLine.includes(',') ? ';' : ',';
  let record: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === separator) {
      record.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(cell);
      if (record.some((v) => v.trim() !== '')) records.push(record);
      record = [];
      cell = '';
    } else cell += c;
  }
  record.push(cell);
  if (record.some((v) => v.trim() !== '')) records.push(record);
  const [head, ...body] = records;
  if (!head) return [];
  const names = head.map((h) => h.trim().replace(/^\uFEFF/, ''));
  return body.map((r) => Object.fromEntries(names.map((n, i) => [n, r[i] ?? ''])));
}
