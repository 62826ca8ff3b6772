/**
 * Helpers for the DICOMweb specs: the shared corpus, facilities with API keys, physicians given
 * access to a study the way publishExam will (rows written directly), raw STOW bodies and a
 * dicomweb-client instance speaking to the test server.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { forkEm } from '../../src/bootstrap.js';
import { registry } from '../../src/infra/metrics/metrics.js';
import { finessWithCheckDigit } from '../../src/common/identifiers.js';
import { Document, DocumentType, Exam, ExamAccess, ExamRole } from '../../src/modules/exam/exam.entity.js';
import { createApiKey, createFacility } from '../../src/modules/facility/facility.service.js';
import { Facility } from '../../src/modules/facility/facility.entity.js';
import { Patient } from '../../src/modules/patient/patient.entity.js';
import type { TestServer } from '../harness.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const corpusDir = process.env.CORPUS_DIR ?? path.resolve(repoRoot, '../shared/corpus/files');

export interface CorpusFile {
  file: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  modality: string;
  patientId: string;
  patientName: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
}

export function readManifest(): CorpusFile[] {
  const [head, ...lines] = readFileSync(path.join(path.dirname(corpusDir), 'MANIFEST.tsv'), 'utf8').trimEnd().split('\n');
  const columns = (head ?? '').split('\t');
  return lines.map((line) => {
    const c = line.split('\t');
    const col = (name: string): string => c[columns.indexOf(name)] ?? '';
    return {
      file: col('file'),
      sopClassUid: col('sop_class_uid'),
      transferSyntaxUid: col('transfer_syntax_uid'),
      modality: col('modality'),
      patientId: col('patient_id'),
      patientName: col('patient_name'),
      studyInstanceUid: col('study_instance_uid'),
      seriesInstanceUid: col('series_instance_uid'),
      sopInstanceUid: col('sop_instance_uid'),
    };
  });
}

export const readCorpus = (file: string): Buffer => readFileSync(path.join(corpusDir, file));

/** One file's manifest entry (its UIDs), by its path in the corpus. */
export function corpusEntry(file: string, manifest: CorpusFile[] = readManifest()): CorpusFile {
  const entry = manifest.find((m) => m.file === file);
  if (!entry) throw new Error(`${file} is not in the corpus`);
  return entry;
}

export interface TestFacilityKey {
  facility: Facility;
  key: string;
  prefix: string;
}

export async function facilityWithKey(t: TestServer, name = 'Centre de test'): Promise<TestFacilityKey> {
  const em = forkEm(t.deps);
  const stem = `5${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
  const facility = await createFacility(em, name, finessWithCheckDigit(stem));
  const { key, apiKey } = await createApiKey(em, facility);
  return { facility, key, prefix: apiKey.prefix };
}

/**
 * Lets a physician read a study as publishExam will: an exam of the facility naming them, that
 * references the study directly (`via: 'exam'`) or through one of its documents.
 */
export async function grantStudy(t: TestServer, physicianId: string, facility: Facility, studyInstanceUid: string, via: 'exam' | 'document' = 'exam'): Promise<string> {
  const em = forkEm(t.deps);
  const patient = em.create(Patient, { firstName: 'Hélène', lastName: 'Test', searchName: 'helene test' });
  const exam = em.create(Exam, {
    patient,
    facility: em.getReference(Facility, facility.id),
    accessionNumber: `ACC-${randomUUID()}`,
    studyInstanceUid: via === 'exam' ? studyInstanceUid : null,
    title: 'EXAMEN DE TEST',
    date: new Date(),
  });
  em.persist([patient, exam]);
  em.persist(em.create(ExamAccess, { exam, physician: physicianId, rpps: `rpps-${physicianId}`, role: ExamRole.PRESCRIBER }));
  if (via === 'document') em.persist(em.create(Document, { exam, type: DocumentType.IMAGING, title: 'Imagerie', date: new Date(), studyInstanceUid }));
  await em.flush();
  return exam.id;
}

/** A multipart/related body as a PACS sends it; `closingCrlf: false` ends right after `--boundary--`. */
export function stowBody(files: Buffer[], opts: { boundary?: string; closingCrlf?: boolean; partType?: string } = {}): { body: Buffer; contentType: string } {
  const boundary = opts.boundary ?? `b-${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const f of files) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: ${opts.partType ?? 'application/dicom'}\r\n\r\n`, 'latin1'), f, Buffer.from('\r\n', 'latin1'));
  }
  chunks.push(Buffer.from(`--${boundary}--${opts.closingCrlf === false ? '' : '\r\n'}`, 'latin1'));
  return { body: Buffer.concat(chunks), contentType: `multipart/related; type="application/dicom"; boundary=${boundary}` };
}

export async function stow(t: TestServer, key: string | undefined, files: Buffer[], opts: { study?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; json: Record<string, any> | undefined }> {
  const { body, contentType } = stowBody(files);
  const res = await fetch(`${t.url}/dicomweb/studies${opts.study ? `/${opts.study}` : ''}`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...(key ? { authorization: `Bearer ${key}` } : {}), ...opts.headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, json: res.headers.get('content-type')?.includes('json') && text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

/** The UIDs listed in a STOW response's ReferencedSOPSequence (stored) and FailedSOPSequence. */
export function stowResult(json: Record<string, any> | undefined): { stored: string[]; failed: Array<{ uid: string | undefined; reason: number; comment: string }> } {
  const stored = ((json?.['00081199']?.Value ?? []) as any[]).map((item) => item['00081155'].Value[0] as string);
  const failed = ((json?.['00081198']?.Value ?? []) as any[]).map((item) => ({
    uid: item['00081155']?.Value?.[0] as string | undefined,
    reason: item['00081197'].Value[0] as number,
    comment: (item['00000902']?.Value?.[0] ?? '') as string,
  }));
  return { stored, failed };
}

export const newUid = (): string => `2.25.${BigInt(`0x${randomBytes(15).toString('hex')}`).toString()}`;

/** Splits a multipart/related response body into its parts (a test-side parser, independent of the server's). */
export function splitMultipart(body: Buffer, contentType: string): Array<{ headers: string; body: Buffer }> {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!boundary) throw new Error(`no boundary in ${contentType}`);
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const parts: Array<{ headers: string; body: Buffer }> = [];
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const after = at + delimiter.length;
    if (body.subarray(after, after + 2).toString('latin1') === '--') break;
    const headerEnd = body.indexOf('\r\n\r\n', after, 'latin1');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n', 'latin1'), delimiter]), headerEnd);
    if (headerEnd === -1 || next === -1) throw new Error('malformed multipart response');
    parts.push({ headers: body.subarray(after + 2, headerEnd).toString('latin1'), body: body.subarray(headerEnd + 4, next) });
    at = next + 2;
  }
  return parts;
}

/** dicomweb-client in Node, with the headers (cookie, Authorization) a browser or PACS would send. */
export function dicomwebClient(t: TestServer, headers: Record<string, string> = {}): DicomWebClientApi {
  const require = createRequire(import.meta.url);
  const { XMLHttpRequest } = require('xmlhttprequest-ssl') as { XMLHttpRequest: new (opts: object) => { send(data?: unknown): void } };
  // xmlhttprequest-ssl keeps the cookie and Authorization headers that other polyfills drop, but
  // cannot send an ArrayBuffer (what dicomweb-client's STOW body is): hand it a Buffer instead.
  (globalThis as Record<string, unknown>).XMLHttpRequest = function XhrWithHeaders() {
    const xhr = new XMLHttpRequest({ disableHeaderCheck: true });
    const send = xhr.send.bind(xhr);
    xhr.send = (data?: unknown) => send(data instanceof ArrayBuffer ? Buffer.from(data) : data);
    return xhr;
  };
  const { api } = require('dicomweb-client') as { api: { DICOMwebClient: new (opts: object) => DicomWebClientApi } };
  return new api.DICOMwebClient({ url: `${t.url}/dicomweb`, headers });
}

/** The part of dicomweb-client's API these specs use (it ships no types). */
export interface DicomWebClientApi {
  storeInstances(o: { datasets: ArrayBuffer[]; studyInstanceUID?: string }): Promise<unknown>;
  searchForStudies(o?: { queryParams?: Record<string, string> }): Promise<Array<Record<string, any>>>;
  searchForSeries(o: { studyInstanceUID: string; queryParams?: Record<string, string> }): Promise<Array<Record<string, any>>>;
  searchForInstances(o: { studyInstanceUID: string; seriesInstanceUID: string; queryParams?: Record<string, string> }): Promise<Array<Record<string, any>>>;
  retrieveInstance(o: { studyInstanceUID: string; seriesInstanceUID: string; sopInstanceUID: string }): Promise<ArrayBuffer>;
  retrieveSeries(o: { studyInstanceUID: string; seriesInstanceUID: string }): Promise<ArrayBuffer[]>;
  retrieveStudy(o: { studyInstanceUID: string }): Promise<ArrayBuffer[]>;
  retrieveInstanceMetadata(o: { studyInstanceUID: string; seriesInstanceUID: string; sopInstanceUID: string }): Promise<Array<Record<string, any>>>;
  retrieveSeriesMetadata(o: { studyInstanceUID: string; seriesInstanceUID: string }): Promise<Array<Record<string, any>>>;
  retrieveInstanceFrames(o: { studyInstanceUID: string; seriesInstanceUID: string; sopInstanceUID: string; frameNumbers: number[]; mediaTypes?: Array<{ mediaType: string; transferSyntaxUID?: string }> }): Promise<ArrayBuffer[]>;
}

export const toArrayBuffer = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;

/** A demo-generator study context (patient with accents) for generated instances. */
export function studyContext(studyInstanceUid = newUid()): import('../../src/modules/demo/generator/study-context.js').StudyContext {
  return {
    patient: { patientId: 'IPP-DW-1', name: { familyName: 'Lefèvre', givenName: 'Hélène' }, birthDate: '1961-03-12', sex: 'F' },
    study: {
      studyInstanceUid,
      date: new Date(Date.UTC(2024, 4, 17, 9, 30)),
      accessionNumber: `ACC${randomBytes(4).toString('hex')}`,
      studyId: '1',
      description: 'SCANNER THORACIQUE',
      institutionName: 'Centre de test',
    },
  };
}

/**
 * A native 16-bit multi-frame secondary capture, pixels random: cheap to make in any size, for
 * tests that need volume rather than realism.
 */
export async function syntheticInstance(o: { study: string; series?: string; sop?: string; frames?: number; rows?: number; columns?: number; modality?: string }): Promise<{ sopInstanceUid: string; data: Buffer }> {
  const { el, writePart10 } = await import('../../src/modules/demo/generator/dicom-writer.js');
  const { T, SopClass } = await import('../../src/modules/demo/generator/dicom-tags.js');
  const frames = o.frames ?? 1;
  const rows = o.rows ?? 256;
  const columns = o.columns ?? 256;
  const sopInstanceUid = o.sop ?? newUid();
  const pixels = new Uint16Array(randomBytes(rows * columns * frames * 2).buffer);
  const data = writePart10([
    el(T.SpecificCharacterSet, 'CS', 'ISO_IR 192'),
    el(T.SOPClassUID, 'UI', SopClass.CtImage),
    el(T.SOPInstanceUID, 'UI', sopInstanceUid),
    el(T.Modality, 'CS', o.modality ?? 'CT'),
    el(T.PatientName, 'PN', 'SYNTHÈSE^Test'),
    el(T.PatientID, 'LO', 'SYN-1'),
    el(T.StudyInstanceUID, 'UI', o.study),
    el(T.SeriesInstanceUID, 'UI', o.series ?? newUid()),
    el(T.SamplesPerPixel, 'US', 1),
    el(T.PhotometricInterpretation, 'CS', 'MONOCHROME2'),
    ...(frames > 1 ? [el(T.NumberOfFrames, 'IS', String(frames))] : []),
    el(T.Rows, 'US', rows),
    el(T.Columns, 'US', columns),
    el(T.BitsAllocated, 'US', 16),
    el(T.BitsStored, 'US', 16),
    el(T.HighBit, 'US', 15),
    el(T.PixelRepresentation, 'US', 0),
    el(T.PixelData, 'OW', pixels),
  ]);
  return { sopInstanceUid, data };
}

/** Every file under `dir`, recursively (paths relative to it): what a store left on disk. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(path.join(dir, f)).isFile());
}

/** A metric's value for the given labels (`suffix`: a histogram's `_count` or `_sum`), 0 when absent. */
export async function metricValue(name: string, labels: Record<string, string>, suffix = ''): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const found = values.find((v) => (suffix ? (v as { metricName?: string }).metricName === `${name}${suffix}` : true) && Object.entries(labels).every(([k, x]) => v.labels[k] === x));
  return found?.value ?? 0;
}

/** A response's headers but the date, its multipart boundary (random per answer) masked: what two paths must answer alike. */
export const comparableHeaders = (res: Response): Record<string, string> =>
  Object.fromEntries([...res.headers].filter(([k]) => k !== 'date').map(([k, v]) => [k, k === 'content-type' ? v.replace(/boundary=\S+/, 'boundary=…') : v]));
