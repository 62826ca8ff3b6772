import { randomBytes, randomUUID } from 'node:crypto';
import { constants as bufferConstants } from 'node:buffer';
import fs from 'node:fs/promises';
import type { AppDeps } from '../../app-deps.js';
import type { Viewer } from '../../graphql/context.js';
import type { StagedFile, Storage } from '../../infra/storage/storage.js';
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
 * a stream, each part streamed to a staged file while its structure is followed (Part10Scanner):
 * the process never holds an instance's bulk data. Each instance succeeds or fails alone; a
 * failure leaves neither a file nor a row behind. Throws DicomwebError for what concerns the
 * whole request (401/403 caller, 415 media type, 413 size, 400 malformed multipart).
 *
 * Instances are indexed in batches, in the order of the parts, while the next parts arrive
 * (docs/adr/0138-stow-batches.md): a part's flush to disk starts as soon as its last byte is
 * written, and a batch is indexed once all its files are flushed, with one lookup and one
 * transaction. Every instance is flushed, in place and committed before the answer.
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

  // One result per part, in the order of the parts: of two parts with one SOPInstanceUID, the
  // first is the one kept.
  const results: Array<InstanceResult | Received> = [];
  const pipeline = new IndexPipeline({ deps, statements, facilityId, target });
  const staged = new StagedFiles(deps.storage);
  // The part being received; undefined while a part that is not DICOM streams past.
  let incoming: Incoming | undefined;
  let batch: Received[] = [];
  let batchHeaderBytes = 0;
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
        incoming = { file: await staged.next(), scanner: new Part10Scanner({ maxKeptBytes: MAX_HEADER_BYTES }) };
      } else if (event.kind === 'data') {
        if (incoming) {
          incoming.scanner.push(event.chunk);
          await incoming.file.write(event.chunk);
        }
      } else if (incoming) {
        const received = await receive(deps, incoming);
        incoming = undefined;
        results.push(received);
        batch.push(received);
        batchHeaderBytes += received.headerBytes;
        if (batch.length >= BATCH_INSTANCES || batchHeaderBytes >= BATCH_HEADER_BYTES) {
          const full = batch;
          batch = [];
          batchHeaderBytes = 0;
          await pipeline.submit(full);
        }
      }
    }
    await pipeline.submit(batch);
    await pipeline.drain();
    await staged.close();
  } catch (error) {
    await incoming?.file.discard();
    await staged.close();
    // The parts received whole before the failure are stored, as they would have been one by
    // one (unless indexing itself failed); then the request fails.
    await pipeline.submit(batch).catch(() => undefined);
    await pipeline.drain().catch(() => undefined);
    if (error instanceof MultipartLimitError) throw new DicomwebError(413, 'The request or one of its instances is larger than this server accepts');
    if (error instanceof MultipartParseError) throw badRequest(`Malformed multipart body: ${error.message}`);
    throw error;
  }
  if (results.length === 0) throw badRequest('The multipart body holds no instance');
  return stowResponse(
    deps,
    results.map((r) => ('file' in r ? (r.result ?? failure(undefined, FailureReason.PROCESSING_FAILURE, 'The instance could not be indexed')) : r)),
    target,
  );
}

/**
 * The staged files of a request's parts. From the second part on, files for the next parts are
 * created on libuv's threads while parts arrive (at most AHEAD under way or ready), and a part
 * takes the oldest one ready when it starts; when none is, its file is made at once on the event
 * loop's thread, as the first part's is, and those under way wait for later parts (libuv's
 * threads may be busy with flushes for a few ms). Creating a file cost the receiving thread
 * 0.2-0.3 ms per instance (ADR 0138). What is left unused is removed by `close()`, before the
 * answer.
 */
class StagedFiles {
  private taken = 0;
  private readonly ahead: Array<{ file: Promise<StagedFile>; ready: boolean }> = [];
  constructor(private readonly storage: Storage) {}

  async next(): Promise<StagedFile> {
    let file: StagedFile | undefined;
    const ready = this.ahead.findIndex((entry) => entry.ready);
    if (ready !== -1) {
      const [entry] = this.ahead.splice(ready, 1);
      // Rejected (the directory was removed meanwhile, say): made at once below.
      file = await entry!.file.catch(() => undefined);
    }
    file ??= await this.storage.stage();
    // A request of one part creates nothing ahead.
    if (++this.taken >= 2) while (this.ahead.length < AHEAD) this.ahead.push(this.createAhead());
    return file;
  }

  /** Files created ahead and not taken: removed (waited for). */
  async close(): Promise<void> {
    await Promise.all(this.ahead.splice(0).map((entry) => entry.file.then((f) => f.discard(), () => undefined)));
  }

  private createAhead(): { file: Promise<StagedFile>; ready: boolean } {
    const entry = { file: this.storage.stage({ background: true }), ready: false };
    const settled = (): void => {
      entry.ready = true;
    };
    entry.file.then(settled, settled);
    return entry;
  }
}

/** Staged files created ahead of the parts that will take them. */
const AHEAD = 2;

/**
 * A batch is indexed once it holds this many instances (or their headers this many bytes): a
 * lookup and a transaction for all of them, while the next batch arrives.
 */
const BATCH_INSTANCES = 16;
const BATCH_HEADER_BYTES = 8 * 1024 * 1024;

function failure(parsed: Pick<ParsedInstance, 'sopClassUid' | 'sopInstanceUid'> | undefined, reason: number, message: string): Failed {
  return { ok: false, sopClassUid: parsed?.sopClassUid, sopInstanceUid: parsed?.sopInstanceUid, reason, message };
}

type Identity = Pick<ParsedInstance, 'sopClassUid' | 'sopInstanceUid' | 'studyInstanceUid' | 'seriesInstanceUid'>;

const stored = (p: Identity): Stored => ({
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

/** A part received whole: its file being flushed, its index rows computed (or why not). */
interface Received {
  file: StagedFile;
  /** Flushed, synced and closed: the file's hex SHA-256, or why it could not be written. */
  finished: Promise<{ sha256: string } | { error: unknown }>;
  parsed: { ok: true; identity: Identity; row: IndexRow } | { ok: false; failure: Failed };
  /** What the process holds of it until it is indexed (its attributes). */
  headerBytes: number;
  result?: InstanceResult;
}

/**
 * Its last byte written: the flush to disk starts (it goes on while the next parts arrive) and
 * the header is parsed, once, into what its index rows hold; the parsed data set is dropped.
 */
async function receive(deps: AppDeps, incoming: Incoming): Promise<Received> {
  const finished = incoming.file.finish().then(
    (sha256) => ({ sha256 }),
    (error: unknown) => ({ error }),
  );
  let parsed: Received['parsed'];
  try {
    parsed = await parseIncoming(incoming, finished, (instance) => ({ ok: true, identity: stored(instance), row: indexRow(instance) }));
  } catch (error) {
    if (error instanceof DicomParseError) parsed = { ok: false, failure: failure(undefined, error.failureReason, error.message) };
    else {
      deps.logger.error({ err: errorSummary(error) }, 'STOW: instance could not be read');
      parsed = { ok: false, failure: failure(undefined, FailureReason.PROCESSING_FAILURE, 'The instance could not be indexed') };
    }
  }
  return { file: incoming.file, finished, parsed, headerBytes: incoming.scanner.heldBytes };
}

/**
 * What `use` makes of the instance parsed from the bytes the scanner kept, laid out sparsely at
 * their offsets. When the parser read the file otherwise than the scanner did, a small file is
 * read whole from disk (once written) instead; a large one is refused rather than indexed from
 * zeros. `use` runs synchronously, and must keep nothing of the parsed instance but copies
 * (strings, numbers): the sparse copy may be the shared scratch buffer, zeroed again once `use`
 * returns.
 */
async function parseIncoming<T>({ file, scanner }: Incoming, written: Promise<unknown>, use: (instance: ParsedInstance) => T): Promise<T> {
  const options = { maxInflatedBytes: MAX_INFLATED_BYTES };
  if (!scanner.overflow && file.size <= bufferConstants.MAX_LENGTH) {
    const scratch = takeScratch(file.size);
    try {
      let parsed: ParsedInstance | undefined;
      let sparse: Buffer;
      try {
        sparse = scratch ? scanner.sparseCopyInto(scratch) : scanner.sparseCopy(file.size);
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
      // No await from the copy to here: no other instance can be laid in the scratch meanwhile.
      if (parsed && checkSparseParse(parsed.dataSet, scanner.skipped)) return use(parsed);
    } finally {
      if (scratch) releaseScratch(scanner, scratch);
    }
  }
  if (file.size <= MAX_HEADER_BYTES) {
    await written;
    return use(parsePart10(await fs.readFile(file.path), options));
  }
  if (scanner.overflow) throw new DicomParseError('TOO_LARGE', `The instance's attributes other than bulk data exceed ${MAX_HEADER_BYTES} bytes.`);
  throw new DicomParseError('INVALID', 'The data set cannot be followed element by element.');
}

/**
 * One zero-filled buffer for the sparse copies of instances up to SCRATCH_BYTES, used by one
 * instance at a time, synchronously (copy, parse, index rows), and zeroed again where it was
 * written before it serves the next (`Part10Scanner.clearSparse`): a new zero-filled buffer per
 * instance cost 60-70 µs of the receiving thread per 512 kB slice, and its garbage collection.
 * Larger instances, or a re-entrant use, get a buffer of their own as before.
 */
const SCRATCH_BYTES = 4 * 1024 * 1024;
let scratchBuffer: Buffer | undefined;
let scratchInUse = false;

function takeScratch(size: number): Buffer | undefined {
  if (size > SCRATCH_BYTES || scratchInUse) return undefined;
  scratchBuffer ??= Buffer.alloc(SCRATCH_BYTES);
  scratchInUse = true;
  return scratchBuffer.subarray(0, size);
}

function releaseScratch(scanner: Part10Scanner, scratch: Buffer): void {
  scanner.clearSparse(scratch);
  scratchInUse = false;
}

/** What one STOW request indexes with: its caller's facility, the study of its URL. */
interface StowContext {
  deps: AppDeps;
  statements: PreparedStatements;
  facilityId: string;
  target: string | undefined;
}

/**
 * Batches indexed one at a time, in the order of the parts, each while the next one is
 * received: `submit` waits for the batch before (so at most two are held), `drain` for the last.
 * An error while indexing (the database is gone) stops the request.
 */
class IndexPipeline {
  private tail: Promise<void> = Promise.resolve();
  private error: { cause: unknown } | undefined;

  constructor(private readonly context: StowContext) {}

  async submit(batch: Received[]): Promise<void> {
    await this.tail;
    if (this.error) {
      await discardAll(batch);
      throw this.error.cause;
    }
    if (batch.length === 0) return;
    this.tail = indexBatch(this.context, batch).catch((cause: unknown) => {
      this.error ??= { cause };
    });
  }

  async drain(): Promise<void> {
    await this.tail;
    if (this.error) throw this.error.cause;
  }
}

async function discardAll(batch: Received[]): Promise<void> {
  await Promise.all(batch.map(async (item) => {
    await item.finished;
    await item.file.discard();
  }));
}

/** An instance flushed and parsed, of the request's study: to be looked up, placed and indexed. */
interface Candidate {
  item: Received;
  identity: Identity;
  row: IndexRow;
  sha256: string;
  /** Where its file was placed, once it was. */
  key?: string;
  /** Its file could not be placed: it failed for good (its staged file is gone). */
  unplaceable?: boolean;
}

async function indexBatch(context: StowContext, batch: Received[]): Promise<void> {
  const { deps, target } = context;
  try {
    // What is held of the batch's UIDs is looked up while its files are still being flushed.
    const parsed = batch.filter((item) => item.parsed.ok && (target === undefined || item.parsed.identity.studyInstanceUid === target));
    const lookup = lookupHeld(context, parsed);
    const candidates: Candidate[] = [];
    for (const item of batch) {
      const written = await item.finished;
      if ('error' in written) {
        deps.logger.error({ err: errorSummary(written.error) }, 'STOW: staging write failed');
        item.result = failure(undefined, FailureReason.PROCESSING_FAILURE, 'The instance could not be written to storage');
      } else if (!item.parsed.ok) {
        item.result = item.parsed.failure;
      } else if (target !== undefined && item.parsed.identity.studyInstanceUid !== target) {
        item.result = failure(item.parsed.identity, FailureReason.DATA_SET_DOES_NOT_MATCH_SOP_CLASS, 'The instance belongs to another study than the one in the URL');
      } else {
        candidates.push({ item, identity: item.parsed.identity, row: item.parsed.row, sha256: written.sha256 });
      }
    }
    const held = await lookup;
    if ('error' in held) throw held.error;
    if (candidates.length > 0 && !(await indexTogether(context, candidates, held.rows))) {
      // What was foreseen did not happen (a concurrent store, a failing statement): each
      // instance again on its own, as if the batch had not been tried.
      for (const candidate of candidates) if (!candidate.unplaceable) candidate.item.result = await storeOne(context, candidate);
    }
  } finally {
    // Stored under its key (then there is nothing left to remove) or refused: never left behind.
    await Promise.all(batch.map((item) => item.file.discard()));
  }
}

/**
 * The batch's instances decided from one lookup, as one by one in the order of the parts (the
 * earlier instances of the batch counting as held), placed, then indexed in one transaction.
 * False when the transaction found the database otherwise than the lookup did, or failed: it
 * was rolled back, and the candidates placed keep their key for `storeOne`.
 */
async function indexTogether(context: StowContext, candidates: Candidate[], heldByItem: Map<Received, Held>): Promise<boolean> {
  const { deps, statements, facilityId } = context;
  const held = candidates.map((c) => heldByItem.get(c.item));
  const studies = new Set<string>();
  const seriesStudy = new Map<string, string>();
  const instances = new Map<string, { study: string; series: string }>();
  const accepted: Candidate[] = [];
  candidates.forEach((candidate, i) => {
    const p = candidate.identity;
    const h = held[i];
    const decided = decide(facilityId, p, {
      study_facility: h?.study_facility ?? (studies.has(p.studyInstanceUid) ? facilityId : null),
      instance: h?.instance ?? (instances.has(p.sopInstanceUid) ? { ...instances.get(p.sopInstanceUid)!, facility: facilityId } : null),
      series_study: h?.series_study ?? seriesStudy.get(p.seriesInstanceUid) ?? null,
    });
    if (decided) {
      candidate.item.result = decided;
      return;
    }
    studies.add(p.studyInstanceUid);
    seriesStudy.set(p.seriesInstanceUid, p.studyInstanceUid);
    instances.set(p.sopInstanceUid, { study: p.studyInstanceUid, series: p.seriesInstanceUid });
    accepted.push(candidate);
  });
  if (accepted.length === 0) return true;

  const placed = await placeAll(context, accepted);
  if (placed.length < accepted.length) return false;

  let inserted: Set<string>;
  try {
    inserted = await statements.transaction((query) => indexMany(query, facilityId, accepted));
  } catch (error) {
    if (!(error instanceof Unforeseen)) deps.logger.warn({ err: errorSummary(error) }, 'STOW: batch indexing failed, instances indexed one by one');
    return false;
  }
  for (const candidate of accepted) {
    // Another request stored the same instance a moment ago: it is held, this copy is not needed.
    if (!inserted.has(candidate.identity.sopInstanceUid)) await discardKey(deps, candidate.key!);
    candidate.item.result = stored(candidate.identity);
  }
  return true;
}

/** What is held of the UIDs of these parsed instances (one statement), or why it could not be read. */
async function lookupHeld(context: StowContext, items: Received[]): Promise<{ rows: Map<Received, Held> } | { error: unknown }> {
  const identities = items.map((item) => (item.parsed.ok ? item.parsed.identity : undefined)).filter((p): p is Identity => p !== undefined);
  if (identities.length === 0) return { rows: new Map() };
  try {
    const rows = await context.statements.query<Held & { n: string }>(HELD_MANY, [
      pgArray(identities.map((p) => p.sopInstanceUid)),
      pgArray(identities.map((p) => p.studyInstanceUid)),
      pgArray(identities.map((p) => p.seriesInstanceUid)),
    ]);
    return { rows: new Map(items.map((item, i) => [item, rows[i]!])) };
  } catch (error) {
    return { error };
  }
}

/** Files placed under their keys, a few at a time; one that cannot be placed fails alone. */
async function placeAll(context: StowContext, accepted: Candidate[]): Promise<Candidate[]> {
  const placed: Candidate[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < accepted.length) {
      const candidate = accepted[next++]!;
      const result = await place(context.deps, candidate);
      if (result) {
        candidate.item.result = result;
        candidate.unplaceable = true;
      } else placed.push(candidate);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PLACE_CONCURRENCY, accepted.length) }, worker));
  return placed;
}

const PLACE_CONCURRENCY = 4;

/** Its file under a new key (its `key` then), or why not. */
async function place(deps: AppDeps, candidate: Candidate): Promise<Failed | undefined> {
  const p = candidate.identity;
  // The random suffix keeps two racing stores of one instance on separate files, so the loser
  // deletes its own copy and never the winner's.
  const key = `studies/${p.studyInstanceUid}/${p.seriesInstanceUid}/${p.sopInstanceUid}.${candidate.sha256.slice(0, 16)}${randomBytes(4).toString('hex')}.dcm`;
  try {
    await deps.storage.putStaged(key, candidate.item.file, candidate.sha256);
  } catch (error) {
    deps.logger.error({ err: errorSummary(error) }, 'STOW: storage write failed');
    return failure(p, FailureReason.PROCESSING_FAILURE, 'The instance could not be written to storage');
  }
  candidate.key = key;
  return undefined;
}

function discardKey(deps: AppDeps, key: string): Promise<void> {
  return deps.storage.delete(key).catch((error: unknown) => deps.logger.error({ err: errorSummary(error) }, 'STOW: orphan file left in storage'));
}

/** What is already held decides before anything is written: replays store nothing new. Undefined: to be stored. */
function decide(facilityId: string, p: Identity, held: Held | undefined): InstanceResult | undefined {
  if (held?.study_facility && held.study_facility !== facilityId) {
    return failure(p, NOT_AUTHORIZED, 'This study was stored by another facility');
  }
  if (held?.instance) {
    if (held.instance.facility !== facilityId) return failure(p, NOT_AUTHORIZED, 'This SOP instance was stored by another facility');
    if (held.instance.study !== p.studyInstanceUid || held.instance.series !== p.seriesInstanceUid) {
      return failure(p, FailureReason.DATA_SET_DOES_NOT_MATCH_SOP_CLASS, 'This SOPInstanceUID is already held in another study or series');
    }
    return stored(p);
  }
  if (held?.series_study && held.series_study !== p.studyInstanceUid) {
    return failure(p, FailureReason.DATA_SET_DOES_NOT_MATCH_SOP_CLASS, 'This SeriesInstanceUID is already held in another study');
  }
  return undefined;
}

/** One instance on its own: looked up, placed (unless it already is), indexed in its own transaction. */
async function storeOne(context: StowContext, candidate: Candidate): Promise<InstanceResult> {
  const { deps, statements, facilityId } = context;
  const p = candidate.identity;
  const [held] = await statements.query<Held>(HELD, [p.sopInstanceUid, p.studyInstanceUid, p.seriesInstanceUid]);
  const decided = decide(facilityId, p, held);
  if (decided) {
    if (candidate.key) await discardKey(deps, candidate.key);
    return decided;
  }
  if (!candidate.key) {
    const refused = await place(deps, candidate);
    if (refused) return refused;
  }
  const key = candidate.key!;
  let indexed: 'inserted' | 'already held';
  try {
    indexed = await statements.transaction((query) => indexInstance(query, facilityId, candidate.row, key, candidate.item.file.size, candidate.sha256));
  } catch (error) {
    await discardKey(deps, key);
    if (error instanceof Rollback) return error.result;
    deps.logger.error({ err: errorSummary(error) }, 'STOW: indexing failed');
    return failure(p, FailureReason.PROCESSING_FAILURE, 'The instance could not be indexed');
  }
  // Another request stored the same instance a moment ago: it is held, this copy is not needed.
  if (indexed === 'already held') await discardKey(deps, key);
  return stored(p);
}

/*
 * The statements of a batch and of one instance, prepared once per pooled connection
 * (PreparedStatements): they run for every batch of every STOW request.
 */

const HELD_OF = (sop: string, study: string, series: string): string => `
       (select json_build_object('study', st.study_instance_uid, 'series', se.series_instance_uid, 'facility', st.facility_id)
          from dicom_instance i join dicom_series se on se.id = i.series_id join dicom_study st on st.id = se.study_id
         where i.sop_instance_uid = ${sop}) as instance,
       (select facility_id from dicom_study where study_instance_uid = ${study}) as study_facility,
       (select st.study_instance_uid from dicom_series se join dicom_study st on st.id = se.study_id where se.series_instance_uid = ${series}) as series_study`;

/** What is already held of the instance's UIDs ($1 SOP instance, $2 study, $3 series). */
const HELD: PreparedStatement = { name: 'stow_held', text: `select ${HELD_OF('$1', '$2', '$3')}` };

/** The same for a batch: $1, $2, $3 the arrays of their UIDs, a row each in their order. */
const HELD_MANY: PreparedStatement = {
  name: 'stow_held_many',
  text: `select u.n, ${HELD_OF('u.sop', 'u.study', 'u.series')}
     from unnest($1::text[], $2::text[], $3::text[]) with ordinality as u(sop, study, series, n)
     order by u.n`,
};

const STUDY_COLUMNS = `id, study_instance_uid, facility_id, patient_name, patient_name_search, patient_id, patient_birth_date,
       patient_sex, study_date, study_time, accession_number, study_description, study_id, referring_physician_name, modalities, created_at`;

/** A study upsert's conflict: modalities merged in order, the other attributes kept when already known, another facility's study left alone. */
const STUDY_CONFLICT = `on conflict (study_instance_uid) do update set
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
     where dicom_study.facility_id = excluded.facility_id`;

/** Study upsert ($15 its ModalitiesInStudy). */
const INDEX_STUDY: PreparedStatement = {
  name: 'stow_index_study',
  text: `insert into dicom_study (${STUDY_COLUMNS})
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::text[], now())
     ${STUDY_CONFLICT}
     returning id`,
};

/**
 * A batch's studies in one statement, $1 a JSON array of dicom_study rows but facility_id ($2)
 * and created_at: each upserted as INDEX_STUDY would, its modalities (the batch's instances')
 * sorted and without repeats as the upserts one by one would have left them. Rows go in the
 * order of their UIDs (every batch locks them in one order). Returns the rows upserted: one
 * refused by its condition is missing.
 */
const INDEX_STUDIES: PreparedStatement = {
  name: 'stow_index_studies',
  text: `insert into dicom_study (${STUDY_COLUMNS})
     select s.id, s.study_instance_uid, $2::uuid, s.patient_name, s.patient_name_search, s.patient_id, s.patient_birth_date, s.patient_sex,
            s.study_date, s.study_time, s.accession_number, s.study_description, s.study_id, s.referring_physician_name,
            array(select distinct m from unnest(s.modalities) m order by m), now()
       from json_populate_recordset(null::dicom_study, $1::json) s
      order by s.study_instance_uid
     ${STUDY_CONFLICT}
     returning study_instance_uid, id`,
};

const SERIES_CONFLICT = `on conflict (series_instance_uid) do update set modality = coalesce(dicom_series.modality, excluded.modality)
     where dicom_series.study_id = excluded.study_id`;

const INDEX_SERIES: PreparedStatement = {
  name: 'stow_index_series',
  text: `insert into dicom_series (id, series_instance_uid, study_id, modality, series_number, series_description, created_at)
     values ($1, $2, $3, $4, $5, $6, now())
     ${SERIES_CONFLICT}
     returning id`,
};

/** A batch's series in one statement, $1 a JSON array of dicom_series rows but created_at; as INDEX_STUDIES. */
const INDEX_SERIES_MANY: PreparedStatement = {
  name: 'stow_index_series_many',
  text: `insert into dicom_series (id, series_instance_uid, study_id, modality, series_number, series_description, created_at)
     select s.id, s.series_instance_uid, s.study_id, s.modality, s.series_number, s.series_description, now()
       from json_populate_recordset(null::dicom_series, $1::json) s
      order by s.series_instance_uid
     ${SERIES_CONFLICT}
     returning series_instance_uid, id`,
};

const INSTANCE_COLUMNS = `id, sop_instance_uid, series_id, sop_class_uid, transfer_syntax_uid, instance_number, "rows", "columns",
       number_of_frames, storage_key, size, frames, metadata, created_at, sha256, frames_need_extraction, bulk_data,
       encapsulated_document_offset, encapsulated_document_length, encapsulated_document_mime_type`;

const INDEX_INSTANCE: PreparedStatement = {
  name: 'stow_index_instance',
  text: `insert into dicom_instance (${INSTANCE_COLUMNS})
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13::jsonb, now(), $14, $15, $16::jsonb, $17, $18, $19)
     on conflict (sop_instance_uid) do nothing
     returning id`,
};

/** A batch's instance rows, $1 a JSON array of objects named by column: the SOP instance UIDs inserted. */
const INDEX_INSTANCES: PreparedStatement = {
  name: 'stow_index_instances',
  text: `insert into dicom_instance (${INSTANCE_COLUMNS})
     select ${INSTANCE_COLUMNS.replace('created_at', 'now()')}
       from json_populate_recordset(null::dicom_instance, $1::json)
     on conflict (sop_instance_uid) do nothing
     returning sop_instance_uid`,
};

/** An instance's index rows but for the ids and its storage: computed once, when its part ends. */
interface IndexRow {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  /** dicom_study's values $4 to $14 of INDEX_STUDY, in order (patient name ... referring physician). */
  study: Array<string | null>;
  modality: string | null;
  /** ModalitiesInStudy as this instance alone gives it. */
  modalities: string[];
  seriesNumber: number | null;
  seriesDescription: string | null;
  /** dicom_instance's values by column name, but id, series_id, storage_key, size, sha256. */
  instance: {
    sop_instance_uid: string;
    sop_class_uid: string;
    transfer_syntax_uid: string;
    instance_number: number | null;
    rows: number | null;
    columns: number | null;
    number_of_frames: number;
    frames: Array<Array<[number, number]>>;
    metadata: DicomJsonDataSet;
    frames_need_extraction: boolean;
    bulk_data: Record<string, [number, number]>;
    encapsulated_document_offset: number | null;
    encapsulated_document_length: number | null;
    encapsulated_document_mime_type: string | null;
  };
}

function indexRow(p: ParsedInstance): IndexRow {
  const patientName = p.patient.name?.raw ?? null;
  const path = instancePath(p.studyInstanceUid, p.seriesInstanceUid, p.sopInstanceUid);
  const metadata = toDicomJson(p, { bulkDataUri: (_tag, attributePath) => `${path}/bulkdata/${attributePath}` });
  // What a viewer needs to pick a decoder before fetching frames (PS3.18 F.2: AvailableTransferSyntaxUID).
  metadata['00083002'] = { vr: 'UI', Value: [p.transferSyntaxUid] };
  const doc = p.encapsulatedDocument;
  return {
    studyInstanceUid: p.studyInstanceUid,
    seriesInstanceUid: p.seriesInstanceUid,
    study: [
      patientName, patientName === null ? null : searchForm(patientName),
      p.patient.id ?? null, p.patient.birthDate ?? null, p.patient.sex ?? null, p.study.date ?? null, p.study.time ?? null,
      p.study.accessionNumber ?? null, p.study.description ?? null, p.study.id ?? null, p.study.referringPhysicianName?.raw ?? null,
    ],
    modality: p.series.modality ?? null,
    modalities: p.series.modality ? [p.series.modality] : [],
    seriesNumber: p.series.number ?? null,
    seriesDescription: p.series.description ?? null,
    instance: {
      sop_instance_uid: p.sopInstanceUid,
      sop_class_uid: p.sopClassUid,
      transfer_syntax_uid: p.transferSyntaxUid,
      instance_number: p.instance.number ?? null,
      rows: p.instance.rows ?? null,
      columns: p.instance.columns ?? null,
      number_of_frames: p.hasPixelData ? p.instance.numberOfFrames : 0,
      frames: p.frames.map((f) => f.map((r): [number, number] => [r.offset, r.length])),
      metadata,
      frames_need_extraction: p.framesRequireInflate || p.packedBits !== undefined,
      bulk_data: bulkDataRanges(p, metadata),
      encapsulated_document_offset: doc && !p.framesRequireInflate ? doc.range.offset : null,
      encapsulated_document_length: doc && !p.framesRequireInflate ? doc.range.length : null,
      encapsulated_document_mime_type: doc?.mimeType ?? null,
    },
  };
}

type Query = <T extends Record<string, unknown>>(statement: PreparedStatement, values: unknown[]) => Promise<T[]>;

/**
 * Study, series and instance rows in one transaction. Conditional upserts re-check ownership
 * and series membership against concurrent stores: when a condition fails, Rollback undoes the
 * transaction and carries the instance's failure; the caller then deletes the file.
 */
async function indexInstance(query: Query, facilityId: string, row: IndexRow, storageKey: string, size: number, sha256: string): Promise<'inserted' | 'already held'> {
  const identity = { sopClassUid: row.instance.sop_class_uid, sopInstanceUid: row.instance.sop_instance_uid };
  const [study] = await query<{ id: string }>(INDEX_STUDY, [
    randomUUID(), row.studyInstanceUid, facilityId, ...row.study, pgArray(row.modalities),
  ]);
  if (!study) throw new Rollback(failure(identity, NOT_AUTHORIZED, 'This study was stored by another facility'));

  const [series] = await query<{ id: string }>(INDEX_SERIES, [randomUUID(), row.seriesInstanceUid, study.id, row.modality, row.seriesNumber, row.seriesDescription]);
  if (!series) throw new Rollback(failure(identity, FailureReason.DATA_SET_DOES_NOT_MATCH_SOP_CLASS, 'This SeriesInstanceUID is already held in another study'));

  const i = row.instance;
  const [inserted] = await query<{ id: string }>(INDEX_INSTANCE, [
    randomUUID(), i.sop_instance_uid, series.id, i.sop_class_uid, i.transfer_syntax_uid, i.instance_number, i.rows, i.columns, i.number_of_frames,
    storageKey, size, JSON.stringify(i.frames), JSON.stringify(i.metadata), sha256, i.frames_need_extraction, JSON.stringify(i.bulk_data),
    i.encapsulated_document_offset, i.encapsulated_document_length, i.encapsulated_document_mime_type,
  ]);
  return inserted ? 'inserted' : 'already held';
}

/**
 * A batch's rows in one transaction: an upsert per study, one per series, one insert for all
 * the instances (the rows the earlier instances of the batch would have left, merged as their
 * upserts one by one would have). A study or series refused by its condition (a concurrent
 * store the lookup did not see) throws Unforeseen: the batch is rolled back. Returns the SOP
 * instance UIDs inserted (not those another request stored a moment ago).
 */
async function indexMany(query: Query, facilityId: string, accepted: Candidate[]): Promise<Set<string>> {
  const studies = new Map<string, { values: Array<string | null>; modalities: string[] }>();
  const series = new Map<string, { study: string; modality: string | null; number: number | null; description: string | null }>();
  for (const { row } of accepted) {
    const study = studies.get(row.studyInstanceUid);
    if (!study) studies.set(row.studyInstanceUid, { values: [...row.study], modalities: [...row.modalities] });
    else {
      row.study.forEach((value, i) => (study.values[i] ??= value));
      study.modalities.push(...row.modalities);
    }
    const one = series.get(row.seriesInstanceUid);
    if (!one) series.set(row.seriesInstanceUid, { study: row.studyInstanceUid, modality: row.modality, number: row.seriesNumber, description: row.seriesDescription });
    else one.modality ??= row.modality;
  }
  // One statement for the studies and one for the series, whatever their number (a statement
  // each was two round trips per study of the batch: ADR 0138).
  const studyRows = [...studies].map(([uid, study]) => {
    const [patient_name, patient_name_search, patient_id, patient_birth_date, patient_sex, study_date, study_time, accession_number, study_description, study_id, referring_physician_name] = study.values;
    return {
      id: randomUUID(), study_instance_uid: uid, patient_name, patient_name_search, patient_id, patient_birth_date, patient_sex, study_date,
      study_time, accession_number, study_description, study_id, referring_physician_name, modalities: study.modalities,
    };
  });
  const studyIds = new Map((await query<{ study_instance_uid: string; id: string }>(INDEX_STUDIES, [JSON.stringify(studyRows), facilityId])).map((r) => [r.study_instance_uid, r.id]));
  if (studyIds.size !== studies.size) throw new Unforeseen();
  const seriesRows = [...series].map(([uid, one]) => ({
    id: randomUUID(), series_instance_uid: uid, study_id: studyIds.get(one.study), modality: one.modality, series_number: one.number, series_description: one.description,
  }));
  const seriesIds = new Map((await query<{ series_instance_uid: string; id: string }>(INDEX_SERIES_MANY, [JSON.stringify(seriesRows)])).map((r) => [r.series_instance_uid, r.id]));
  if (seriesIds.size !== series.size) throw new Unforeseen();
  const rows = accepted.map(({ row, key, item, sha256 }) => ({
    ...row.instance,
    id: randomUUID(),
    series_id: seriesIds.get(row.seriesInstanceUid),
    storage_key: key,
    size: item.file.size,
    sha256,
  }));
  const inserted = await query<{ sop_instance_uid: string }>(INDEX_INSTANCES, [JSON.stringify(rows)]);
  return new Set(inserted.map((r) => r.sop_instance_uid));
}

/** Thrown inside a batch's transaction when the database is not as its lookup said. */
class Unforeseen extends Error {
  constructor() {
    super('A concurrent store changed what the batch was decided on');
  }
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
