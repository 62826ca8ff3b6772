import { randomBytes, randomUUID } from 'node:crypto';
import { constants as bufferConstants } from 'node:buffer';
import fs from 'node:fs/promises';
import type { AppDeps } from '../../app-deps.js';
import type { Viewer } from '../../graphql/context.js';
import type { StagedFile } from '../../infra/storage/storage.js';
import {
  DicomParseError,
  FailureReason,
  MultipartLimitError,
  MultipartParseError,
  boundaryFromContentType,
  multipartEvents,
  parseContentType,
  parsePart10,
  toDicomJson,
  type DicomJsonDataSet,
  type ParsedInstance,
} from '../dicom/index.js';
import { Part10Scanner, checkSparseParse } from '../dicom/part10-scan.js';
import { authorizeStore } from './dicomweb-access.service.js';
import { DicomwebError, badRequest, checkUid } from './dicomweb-error.js';
import { pgArray } from './pg-array.js';
import type { PreparedStatement, PreparedStatements } from '../../infra/db/prepared-statements.js';
import { bulkDataRanges, instancePath, searchForm, studyPath } from './dicomweb-paths.js';

/** PS3.7 C.5.? "Refused: not authorised": the study belongs to another facility. */
const NOT_AUTHORIZED = 0x0124;

/**
 * What an instance may hold outside its bulk data (attributes, item headers), and the most a
 * deflated data set may inflate to: both are parsed in memory, so they bound a STOW's memory
 * whatever the instance's size (docs/adr/0100-stow-memory-and-staged-files.md).
 */
const MAX_HEADER_BYTES = 32 * 1024 * 1024;
const MAX_INFLATED_BYTES = 128 * 1024 * 1024;

export interface StowInput {
  contentType: string | undefined;
  body: AsyncIterable<Uint8Array>;
  /** `POST /studies/{study}`: every instance must belong to it. */
  targetStudyUid?: string;
}

export interface StowOutcome {
  /** 200 all stored, 202 some failed, 409 all failed (PS3.18 10.5.3). */
  status: 200 | 202 | 409;
  body: DicomJsonDataSet;
  stored: number;
  failed: number;
}

interface Stored {
  ok: true;
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
}
interface Failed {
  ok: false;
  sopClassUid: string | undefined;
  sopInstanceUid: string | undefined;
  reason: number;
  message: string;
}
type InstanceResult = Stored | Failed;

/**
 * STOW-RS (PS3.18 10.5): stores every application/dicom part of a multipart/related body, read as
 * a stream, one instance at a time, each streamed to a staged file while its structure is
 * followed (Part10Scanner): the process never holds an instance's bulk data. Each instance
 * succeeds or fails alone; a failure leaves neither a file nor a row behind. Throws DicomwebError
 * for what concerns the whole request (401/403 caller, 415 media type, 413 size, 400 malformed
 * multipart).
 */
export async function storeInstances(deps: AppDeps, statements: PreparedStatements, viewer: Viewer, input: StowInput): Promise<StowOutcome> {
  const { facilityId } = authorizeStore(viewer);
  const target = input.targetStudyUid === undefined ? undefined : checkUid(input.targetStudyUid, 'StudyInstanceUID');
  const header = input.contentType ?? '';
  const { mediaType, parameters } = parseContentType(header);
  if (mediaType !== 'multipart/related' || (parameters.type ?? '').toLowerCase() !== 'application/dicom') {
    throw new DicomwebError(415, 'Expected multipart/related; type="application/dicom"');
  }
  const boundary = boundaryFromContentType(header);
  if (!boundary) throw badRequest('The multipart boundary is missing or invalid');

  // One instance at a time, in the order of the parts: of two parts with one SOPInstanceUID, the
  // first is the one kept.
  const results: InstanceResult[] = [];
  // The part being received; undefined while a part that is not DICOM streams past.
  let incoming: Incoming | undefined;
  try {
    const events = multipartEvents(input.body, boundary, {
      maxPartBytes: deps.config.maxInstanceBytes,
      maxTotalBytes: deps.config.maxStowBodyBytes,
    });
    for await (const event of events) {
      if (event.kind === 'part') {
        const partType = event.contentType ? parseContentType(event.contentType).mediaType : 'application/dicom';
        if (partType !== 'application/dicom') {
          results.push(failure(undefined, FailureReason.CANNOT_UNDERSTAND, `A part of type ${partType.slice(0, 60)} is not application/dicom`));
          continue;
        }
        incoming = { file: await deps.storage.stage(), scanner: new Part10Scanner({ maxKeptBytes: MAX_HEADER_BYTES }) };
      } else if (event.kind === 'data') {
        if (incoming) {
          incoming.scanner.push(event.chunk);
          await incoming.file.write(event.chunk);
        }
      } else if (incoming) {
        const received = incoming;
        incoming = undefined;
        results.push(await storeOne(deps, statements, facilityId, received, target));
      }
    }
  } catch (error) {
    await incoming?.file.discard();
    if (error instanceof MultipartLimitError) throw new DicomwebError(413, 'The request or one of its instances is larger than this server accepts');
    if (error instanceof MultipartParseError) throw badRequest(`Malformed multipart body: ${error.message}`);
    throw error;
  }
  if (results.length === 0) throw badRequest('The multipart body holds no instance');
  return stowResponse(deps, results, target);
}

function failure(parsed: Pick<ParsedInstance, 'sopClassUid' | 'sopInstanceUid'> | undefined, reason: number, message: string): Failed {
  return { ok: false, sopClassUid: parsed?.sopClassUid, sopInstanceUid: parsed?.sopInstanceUid, reason, message };
}

const stored = (p: Pick<ParsedInstance, 'sopClassUid' | 'sopInstanceUid' | 'studyInstanceUid' | 'seriesInstanceUid'>): Stored => ({
  ok: true,
  sopClassUid: p.sopClassUid,
  sopInstanceUid: p.sopInstanceUid,
  studyInstanceUid: p.studyInstanceUid,
  seriesInstanceUid: p.seriesInstanceUid,
});

interface Held {
  instance: { study: string; series: string; facility: string } | null;
  study_facility: string | null;
  series_study: string | null;
}

/** A part as it arrives: its bytes staged on disk, its structure followed. */
interface Incoming {
  file: StagedFile;
  scanner: Part10Scanner;
}

/**
 * The instance parsed from the bytes the scanner kept, laid out sparsely at their offsets. When
 * the parser read the file otherwise than the scanner did, a small file is read whole from disk
 * instead; a large one is refused rather than indexed from zeros.
 */
async function parseIncoming({ file, scanner }: Incoming): Promise<ParsedInstance> {
  const options = { maxInflatedBytes: MAX_INFLATED_BYTES };
  if (!scanner.overflow && file.size <= bufferConstants.MAX_LENGTH) {
    let parsed: ParsedInstance | undefined;
    let sparse: Buffer;
    try {
      sparse = scanner.sparseCopy(file.size);
    } catch (error) {
      // Address space refused (strict overcommit): a per-instance refusal, not a server error.
      if (error instanceof RangeError) throw new DicomParseError('TOO_LARGE', 'The instance is larger than this server can index.');
      throw error;
    }
    try {
      parsed = parsePart10(sparse, options);
    } catch (error) {
      // A refusal read from kept bytes only is the file's own.
      if (scanner.skipped.length === 0 || file.size > MAX_HEADER_BYTES) throw error;
    }
    if (parsed && checkSparseParse(parsed.dataSet, scanner.skipped)) return parsed;
  }
  if (file.size <= MAX_HEADER_BYTES) return parsePart10(await fs.readFile(file.path), options);
  if (scanner.overflow) throw new DicomParseError('TOO_LARGE', `The instance's attributes other than bulk data exceed ${MAX_HEADER_BYTES} bytes.`);
  throw new DicomParseError('INVALID', 'The data set cannot be followed element by element.');
}

async function storeOne(deps: AppDeps, statements: PreparedStatements, facilityId: string, incoming: Incoming, target: string | undefined): Promise<InstanceResult> {
  const { file } = incoming;
  try {
    let sha256: string;
    try {
      sha256 = await file.finish();
    } catch (error) {
      deps.logger.error({ err: errorSummary(error) }, 'STOW: staging write failed');
      return failure(undefined, FailureReason.PROCESSING_FAILURE, 'The instance could not be written to storage');
    }
    let parsed: ParsedInstance;
    try {
      parsed = await parseIncoming(incoming);
    } catch (error) {
      if (error instanceof DicomParseError) return failure(undefined, error.failureReason, error.message);
      throw error;
    }
    return await storeParsed(deps, statements, facilityId, parsed, file, sha256, target);
  } finally {
    // Stored under its key (then there is nothing left to remove) or refused: never left behind.
    await file.discard();
  }
}

async function storeParsed(
  deps: AppDeps,
  statements: PreparedStatements,
  facilityId: string,
  parsed: ParsedInstance,
  file: StagedFile,
  sha256: string,
  target: string | undefined,
): Promise<InstanceResult> {
  if (target !== undefined && parsed.studyInstanceUid !== target) {
    return failure(parsed, FailureReason.DATA_SET_DOES_NOT_MATCH_SOP_CLASS, 'The instance belongs to another study than the one in the URL');
  }

  // What is already held decides before anything is written: replays store nothing new.
  const [held] = await statements.query<Held>(HELD, [parsed.sopInstanceUid, parsed.studyInstanceUid, parsed.seriesInstanceUid]);
  if (held?.study_facility && held.study_facility !== facilityId) {
    return failure(parsed, NOT_AUTHORIZED, 'This study was stored by another facility');
  }
  if (held?.instance) {
    if (held.instance.facility !== facilityId) return failure(parsed, NOT_AUTHORIZED, 'This SOP instance was stored by another facility');
    if (held.instance.study !== parsed.studyInstanceUid || held.instance.series !== parsed.seriesInstanceUid) {
      return failure(parsed, FailureReason.DATA_SET_DOES_NOT_MATCH_SOP_CLASS, 'This SOPInstanceUID is already held in another study or series');
    }
    return stored(parsed);
  }
  if (held?.series_study && held.series_study !== parsed.studyInstanceUid) {
    return failure(parsed, FailureReason.DATA_SET_DOES_NOT_MATCH_SOP_CLASS, 'This SeriesInstanceUID is already held in another study');
  }

  // The random suffix keeps two racing stores of one instance on separate files, so the loser
  // deletes its own copy and never the winner's.
  const storageKey = `studies/${parsed.studyInstanceUid}/${parsed.seriesInstanceUid}/${parsed.sopInstanceUid}.${sha256.slice(0, 16)}${randomBytes(4).toString('hex')}.dcm`;
  try {
    await deps.storage.putStaged(storageKey, file, sha256);
  } catch (error) {
    deps.logger.error({ err: errorSummary(error) }, 'STOW: storage write failed');
    return failure(parsed, FailureReason.PROCESSING_FAILURE, 'The instance could not be written to storage');
  }

  const discardFile = (): Promise<void> =>
    deps.storage.delete(storageKey).catch((error: unknown) => deps.logger.error({ err: errorSummary(error) }, 'STOW: orphan file left in storage'));
  let indexed: 'inserted' | 'already held';
  try {
    indexed = await statements.transaction((query) => indexInstance(query, facilityId, parsed, storageKey, file.size, sha256));
  } catch (error) {
    await discardFile();
    if (error instanceof Rollback) return error.result;
    deps.logger.error({ err: errorSummary(error) }, 'STOW: indexing failed');
    return failure(parsed, FailureReason.PROCESSING_FAILURE, 'The instance could not be indexed');
  }
  // Another request stored the same instance a moment ago: it is held, this copy is not needed.
  if (indexed === 'already held') await discardFile();
  return stored(parsed);
}

/*
 * The statements of one instance, prepared once per pooled connection (PreparedStatements): an
 * instance is a handful of statements, run for every instance of every STOW request.
 */

/** What is already held of the instance's UIDs ($1 SOP instance, $2 study, $3 series). */
const HELD: PreparedStatement = {
  name: 'stow_held',
  text: `select
       (select json_build_object('study', st.study_instance_uid, 'series', se.series_instance_uid, 'facility', st.facility_id)
          from dicom_instance i join dicom_series se on se.id = i.series_id join dicom_study st on st.id = se.study_id
         where i.sop_instance_uid = $1) as instance,
       (select facility_id from dicom_study where study_instance_uid = $2) as study_facility,
       (select st.study_instance_uid from dicom_series se join dicom_study st on st.id = se.study_id where se.series_instance_uid = $3) as series_study`,
};

const INDEX_STUDY: PreparedStatement = {
  name: 'stow_index_study',
  text: `insert into dicom_study (id, study_instance_uid, facility_id, patient_name, patient_name_search, patient_id, patient_birth_date,
       patient_sex, study_date, study_time, accession_number, study_description, study_id, referring_physician_name, modalities, created_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::text[], now())
     on conflict (study_instance_uid) do update set
       modalities = case when excluded.modalities <@ dicom_study.modalities then dicom_study.modalities
                         else array(select distinct m from unnest(dicom_study.modalities || excluded.modalities) m order by m) end,
       patient_name = coalesce(dicom_study.patient_name, excluded.patient_name),
       patient_name_search = coalesce(dicom_study.patient_name_search, excluded.patient_name_search),
       patient_id = coalesce(dicom_study.patient_id, excluded.patient_id),
       patient_birth_date = coalesce(dicom_study.patient_birth_date, excluded.patient_birth_date),
       patient_sex = coalesce(dicom_study.patient_sex, excluded.patient_sex),
       study_date = coalesce(dicom_study.study_date, excluded.study_date),
       study_time = coalesce(dicom_study.study_time, excluded.study_time),
       accession_number = coalesce(dicom_study.accession_number, excluded.accession_number),
       study_description = coalesce(dicom_study.study_description, excluded.study_description),
       study_id = coalesce(dicom_study.study_id, excluded.study_id),
       referring_physician_name = coalesce(dicom_study.referring_physician_name, excluded.referring_physician_name)
     where dicom_study.facility_id = excluded.facility_id
     returning id`,
};

const INDEX_SERIES: PreparedStatement = {
  name: 'stow_index_series',
  text: `insert into dicom_series (id, series_instance_uid, study_id, modality, series_number, series_description, created_at)
     values ($1, $2, $3, $4, $5, $6, now())
     on conflict (series_instance_uid) do update set modality = coalesce(dicom_series.modality, excluded.modality)
     where dicom_series.study_id = excluded.study_id
     returning id`,
};

const INDEX_INSTANCE: PreparedStatement = {
  name: 'stow_index_instance',
  text: `insert into dicom_instance (id, sop_instance_uid, series_id, sop_class_uid, transfer_syntax_uid, instance_number, rows, columns,
       number_of_frames, storage_key, size, frames, metadata, created_at, sha256, frames_need_extraction, bulk_data,
       encapsulated_document_offset, encapsulated_document_length, encapsulated_document_mime_type)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13::jsonb, now(), $14, $15, $16::jsonb, $17, $18, $19)
     on conflict (sop_instance_uid) do nothing
     returning id`,
};

/**
 * Study, series and instance rows in one transaction. Conditional upserts re-check ownership
 * and series membership against concurrent stores: when a condition fails, Rollback undoes the
 * transaction and carries the instance's failure; the caller then deletes the file.
 */
async function indexInstance(
  query: <T extends Record<string, unknown>>(statement: PreparedStatement, values: unknown[]) => Promise<T[]>,
  facilityId: string,
  p: ParsedInstance,
  storageKey: string,
  size: number,
  sha256: string,
): Promise<'inserted' | 'already held'> {
  const modality = p.series.modality ? [p.series.modality] : [];
  const patientName = p.patient.name?.raw ?? null;
  const [study] = await query<{ id: string }>(
    INDEX_STUDY,
    [
      randomUUID(), p.studyInstanceUid, facilityId, patientName, patientName === null ? null : searchForm(patientName),
      p.patient.id ?? null, p.patient.birthDate ?? null, p.patient.sex ?? null, p.study.date ?? null, p.study.time ?? null,
      p.study.accessionNumber ?? null, p.study.description ?? null, p.study.id ?? null, p.study.referringPhysicianName?.raw ?? null,
      pgArray(modality),
    ],
  );
  if (!study) throw new Rollback(failure(p, NOT_AUTHORIZED, 'This study was stored by another facility'));

  const [series] = await query<{ id: string }>(
    INDEX_SERIES,
    [randomUUID(), p.seriesInstanceUid, study.id, p.series.modality ?? null, p.series.number ?? null, p.series.description ?? null],
  );
  if (!series) throw new Rollback(failure(p, FailureReason.DATA_SET_DOES_NOT_MATCH_SOP_CLASS, 'This SeriesInstanceUID is already held in another study'));

  const path = instancePath(p.studyInstanceUid, p.seriesInstanceUid, p.sopInstanceUid);
  const metadata = toDicomJson(p, { bulkDataUri: (_tag, attributePath) => `${path}/bulkdata/${attributePath}` });
  // What a viewer needs to pick a decoder before fetching frames (PS3.18 F.2: AvailableTransferSyntaxUID).
  metadata['00083002'] = { vr: 'UI', Value: [p.transferSyntaxUid] };
  const doc = p.encapsulatedDocument;
  const [inserted] = await query<{ id: string }>(
    INDEX_INSTANCE,
    [
      randomUUID(), p.sopInstanceUid, series.id, p.sopClassUid, p.transferSyntaxUid, p.instance.number ?? null,
      p.instance.rows ?? null, p.instance.columns ?? null, p.hasPixelData ? p.instance.numberOfFrames : 0, storageKey, size,
      JSON.stringify(p.frames.map((f) => f.map((r) => [r.offset, r.length]))), JSON.stringify(metadata), sha256,
      p.framesRequireInflate || p.packedBits !== undefined, JSON.stringify(bulkDataRanges(p, metadata)),
      doc && !p.framesRequireInflate ? doc.range.offset : null, doc && !p.framesRequireInflate ? doc.range.length : null,
      doc?.mimeType ?? null,
    ],
  );
  return inserted ? 'inserted' : 'already held';
}

/** Thrown inside the transaction to roll it back with a per-instance failure. */
class Rollback extends Error {
  constructor(readonly result: Failed) {
    super(result.message);
  }
}

/** Logs carry the error's kind, never its SQL parameters or detail (UIDs, names). */
function errorSummary(error: unknown): Record<string, unknown> {
  if (error instanceof Rollback) return { name: 'Rollback' };
  if (error instanceof Error) return { name: error.name, code: (error as { code?: unknown }).code };
  return { name: typeof error };
}

function stowResponse(deps: AppDeps, results: InstanceResult[], target: string | undefined): StowOutcome {
  const base = `${deps.config.publicUrl}/dicomweb/`;
  const ok = results.filter((r): r is Stored => r.ok);
  const failed = results.filter((r): r is Failed => !r.ok);
  const studies = new Set(ok.map((r) => r.studyInstanceUid));
  const body: DicomJsonDataSet = {};
  const studyUid = target ?? (studies.size === 1 ? [...studies][0] : undefined);
  if (studyUid !== undefined) body['00081190'] = { vr: 'UR', Value: [base + studyPath(studyUid)] };
  if (failed.length) {
    body['00081198'] = {
      vr: 'SQ',
      Value: failed.map((f) => ({
        '00081150': f.sopClassUid ? { vr: 'UI', Value: [f.sopClassUid] } : { vr: 'UI' },
        '00081155': f.sopInstanceUid ? { vr: 'UI', Value: [f.sopInstanceUid] } : { vr: 'UI' },
        '00081197': { vr: 'US', Value: [f.reason] },
        // Error Comment (PS3.7): the reason in words, for the facility's IT team. Kept whole even
        // past LO's 64 characters: a cut sentence helps nobody, and JSON readers do not enforce it.
        '00000902': { vr: 'LO', Value: [f.message] },
      })),
    };
  }
  if (ok.length) {
    body['00081199'] = {
      vr: 'SQ',
      Value: ok.map((r) => ({
        '00081150': { vr: 'UI', Value: [r.sopClassUid] },
        '00081155': { vr: 'UI', Value: [r.sopInstanceUid] },
        '00081190': { vr: 'UR', Value: [base + instancePath(r.studyInstanceUid, r.seriesInstanceUid, r.sopInstanceUid)] },
      })),
    };
  }
  const status = failed.length === 0 ? 200 : ok.length === 0 ? 409 : 202;
  return { status, body, stored: ok.length, failed: failed.length };
}
