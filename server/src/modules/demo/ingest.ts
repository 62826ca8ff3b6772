import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { DicomParseError } from '../dicom/errors.js';
import { elementBytes, parsePart10, type ParsedInstance } from '../dicom/part10.js';
import { FacilityClient, FacilityClientError, type PublishDocument, type PublishExamRequest } from './facility-client.js';

/**
 * `ingest`: publishes real DICOM files as an imaging centre would. Files are grouped by
 * StudyInstanceUID (one exam per study); each study is sent through STOW-RS, then published with
 * the patient and exam data read from its tags, unless the options say otherwise.
 */

export interface IngestOptions {
  serverUrl: string;
  facilityKey: string;
  prescriberRpps: string;
  correspondentRpps: string[];
  title?: string;
  accessionNumber?: string;
  /** ISO date or date-time; the study's StudyDate/StudyTime otherwise. */
  date?: string;
  log: (line: string) => void;
}

export interface IngestedStudy {
  studyInstanceUid: string;
  files: number;
  stored: number;
  failed: number;
  published: boolean;
  examId: string | null;
  error: string | null;
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

/** DICOM DA (+ TM) as an ISO date-time, read as UTC: the tags carry no time zone. */
export function dicomDateTime(da: string | undefined, tm: string | undefined): string | null {
  const d = /^(\d{4})(\d{2})(\d{2})$/.exec(da?.trim() ?? '');
  if (!d) return null;
  const t = /^(\d{2})(\d{2})?(\d{2})?/.exec(tm?.trim() ?? '');
  const iso = `${d[1]}-${d[2]}-${d[3]}T${t?.[1] ?? '00'}:${t?.[2] ?? '00'}:${t?.[3] ?? '00'}.000Z`;
  return Number.isNaN(Date.parse(iso)) ? null : iso;
}

/**
 * DICOM DA as YYYY-MM-DD when it can be a living patient's birth date. Test and anonymised files
 * carry placeholders such as 18000101, which the portal would refuse: such a date is left out.
 */
export function birthDateOf(da: string | undefined): string | null {
  const d = /^(\d{4})(\d{2})(\d{2})$/.exec(da?.trim() ?? '');
  if (!d) return null;
  const iso = `${d[1]}-${d[2]}-${d[3]}`;
  const t = Date.parse(`${iso}T00:00:00Z`);
  return Number(d[1]) >= 1880 && t <= Date.now() && new Date(t).toISOString().startsWith(iso) ? iso : null;
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

/** The publishExam input for one study, from its tags and the command's options. */
export function publishRequestFor(study: StudyFiles, opts: Omit<IngestOptions, 'serverUrl' | 'facilityKey' | 'log'>): PublishExamRequest {
  const files = study.files;
  const name = splitPersonName(first(files, (p) => p.patient.name?.raw));
  const description = first(files, (p) => p.study.description);
  const date = opts.date
    ? new Date(opts.date).toISOString()
    : (dicomDateTime(first(files, (p) => p.study.date), first(files, (p) => p.study.time)) ?? new Date().toISOString());
  const accession = opts.accessionNumber ?? first(files, (p) => p.study.accessionNumber) ?? first(files, (p) => p.study.id) ?? study.uid.slice(-16);
  const title = opts.title ?? description ?? 'Examen d’imagerie';
  const reports = files.filter((f) => f.parsed.isEncapsulatedDocument && f.parsed.encapsulatedDocument?.mimeType === 'application/pdf');
  const images = files.filter((f) => !reports.includes(f));
  const documents: PublishDocument[] = [];
  if (images.length) documents.push({ type: 'IMAGING', title: `${title} - (IMAGES)`, date, studyInstanceUid: study.uid });
  for (const r of reports) {
    const contentDate = dicomDateTime(r.parsed.dataSet.string('x00080023'), r.parsed.dataSet.string('x00080033'));
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
  const sex = first(files, (p) => p.patient.sex)?.trim().toUpperCase();
  return {
    patient: {
      ipp: first(files, (p) => p.patient.id)?.trim() ?? '',
      lastName: name.lastName,
      firstName: name.firstName,
      birthDate: birthDateOf(first(files, (p) => p.patient.birthDate)),
      sex: sex && ['F', 'M', 'O'].includes(sex) ? sex : null,
    },
    accessionNumber: accession.trim(),
    studyInstanceUid: study.uid,
    title,
    date,
    modalities,
    prescriberRpps: opts.prescriberRpps,
    correspondentRpps: opts.correspondentRpps,
    documents,
  };
}

/** Reads, groups, stores and publishes; prints one summary line per study. */
export async function ingest(inputs: string[], opts: IngestOptions): Promise<IngestedStudy[]> {
  const studies = new Map<string, StudyFiles>();
  for (const input of inputs) {
    for await (const file of walk(input)) {
      let parsed: ParsedInstance;
      try {
        parsed = parsePart10(await readFile(file));
      } catch (err) {
        if (!(err instanceof DicomParseError)) throw err;
        opts.log(`skipped ${file}: not a readable DICOM file (${err.message})`);
        continue;
      }
      const study = studies.get(parsed.studyInstanceUid) ?? { uid: parsed.studyInstanceUid, files: [] };
      study.files.push({ file, parsed });
      studies.set(parsed.studyInstanceUid, study);
    }
  }
  if (studies.size === 0) opts.log('No DICOM file found.');
  const client = new FacilityClient(opts.serverUrl, opts.facilityKey);
  const out: IngestedStudy[] = [];
  for (const study of studies.values()) {
    const result: IngestedStudy = { studyInstanceUid: study.uid, files: study.files.length, stored: 0, failed: 0, published: false, examId: null, error: null };
    try {
      const stow = await client.stow(
        (async function* () {
          for (const f of study.files) yield await readFile(f.file);
        })(),
      );
      result.stored = stow.stored.length;
      result.failed = stow.failed.length;
      if (stow.stored.length === 0) throw new FacilityClientError('no instance was stored', 'STOW_FAILED');
      const published = await client.publishExam(publishRequestFor(study, opts));
      result.published = true;
      result.examId = published.id;
    } catch (err) {
      if (!(err instanceof FacilityClientError)) throw err;
      result.error = err.message;
    }
    opts.log(
      `study ${study.uid}: ${result.files} file(s), ${result.stored} stored, ${result.failed} failed, ` +
        (result.published ? `published (exam ${String(result.examId)})` : `not published: ${String(result.error)}`),
    );
    out.push(result);
  }
  return out;
}
