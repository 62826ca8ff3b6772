import type { EntityManager } from '@mikro-orm/postgresql';
import type { Storage } from '../../infra/storage/storage.js';
import { sessionTouch, validSessionSql } from '../auth/auth.service.js';
import { extractFrame, inflateDataSet, parsePart10 } from '../dicom/index.js';
import {
  SESSION_ROW_COLUMNS,
  physicianReadsStudySql,
  queryReadableStudy,
  readScopeOf,
  slideSession,
  userReadScope,
  type ReadDeps,
  type ReadScope,
  type Reader,
  type SessionRow,
} from './dicomweb-access.service.js';
import { badRequest, notFound } from './dicomweb-error.js';
import { PIXEL_DATA_PATHS } from './dicomweb-paths.js';
import type { PreparedStatement } from '../../infra/db/prepared-statements.js';
import type { DicomwebReadCache } from './read-cache.js';
import { storedSegments, type Segment } from './response-body.js';

/** A study, a series of it, or an instance of that series. UIDs are already validated. */
export interface ResourceRef {
  study: string;
  series?: string;
  instance?: string;
}

export interface StoredInstance {
  sopInstanceUid: string;
  transferSyntaxUid: string;
  storageKey: string;
  size: number;
}

/** The order instances are listed and sent in, over rows `r` carrying these columns. */
const INSTANCE_ORDER = 'r.series_number nulls last, r.series_instance_uid, r.instance_number nulls last, r.sop_instance_uid';

/** The instances of the study `st` that `ref` names (all, a series' or one), with the columns they are ordered by. */
function instancesOfRef(columns: string, ref: ResourceRef): { sql: string; params: unknown[]; orderBy: string } {
  const params: unknown[] = [];
  let where = 'se.study_id = st.id';
  if (ref.series !== undefined) {
    where += ' and se.series_instance_uid = ?';
    params.push(ref.series);
  }
  if (ref.instance !== undefined) {
    where += ' and i.sop_instance_uid = ?';
    params.push(ref.instance);
  }
  return {
    sql: `select i.id, ${columns}, se.series_number, se.series_instance_uid, i.instance_number, i.sop_instance_uid
            from dicom_instance i join dicom_series se on se.id = i.series_id where ${where}`,
    params,
    orderBy: INSTANCE_ORDER,
  };
}

/** The stored files of a study, series or instance the viewer may read (WADO-RS retrieve, WADO-URI). */
export async function instancesToRetrieve(em: EntityManager, scope: ReadScope, ref: ResourceRef): Promise<StoredInstance[]> {
  const rows = await queryReadableStudy<{ id: string | null; sop_instance_uid: string; transfer_syntax_uid: string; storage_key: string; size: string }>(
    em, scope, ref.study, instancesOfRef('i.transfer_syntax_uid, i.storage_key, i.size', ref),
  );
  if (rows.length === 0) throw notFound();
  return rows.map((r) => ({ sopInstanceUid: r.sop_instance_uid, transferSyntaxUid: r.transfer_syntax_uid, storageKey: r.storage_key, size: Number(r.size) }));
}

/** One instance to retrieve, with the session a cookie's statement found (retrieve fast path). */
export type SessionInstanceRow = SessionRow & { idleExpiresMs: number } & { [K in keyof StoredInstance]: StoredInstance[K] | null };

/**
 * The session of the cookie and the instances to retrieve in one statement (ADR 0145), for the
 * retrieve fast path: the session check, the physician's read rule and the listing share one
 * round trip, planned once. A row per instance, in INSTANCE_ORDER, each carrying the
 * session; one row with null instance columns when the session is valid but the study is not
 * theirs or nothing in it matches; no row when the session is not valid. Binds: the token hash
 * ($1), now ($2), the StudyInstanceUID ($3), then the SeriesInstanceUID ($4) and the
 * SOPInstanceUID ($5) for the narrower levels.
 */
const instancesBySession = (level: 'study' | 'series' | 'instance'): PreparedStatement => ({
  name: `dicomweb_instances_by_session_${level}`,
  text: `select ${SESSION_ROW_COLUMNS}, (extract(epoch from s.idle_expires_at) * 1000)::float8 as "idleExpiresMs",
                r.sop_instance_uid as "sopInstanceUid", r.transfer_syntax_uid as "transferSyntaxUid", r.storage_key as "storageKey", r.size::float8 as size
           from session s join app_user u on u.id = s.user_id
           left join lateral (select st.id from dicom_study st
                               where st.study_instance_uid = $3 and ${physicianReadsStudySql('u.id', 'st.study_instance_uid')}) st on true
           left join lateral (select i.sop_instance_uid, i.transfer_syntax_uid, i.storage_key, i.size, se.series_number, se.series_instance_uid, i.instance_number
                                from dicom_instance i join dicom_series se on se.id = i.series_id
                               where se.study_id = st.id${level === 'study' ? '' : ' and se.series_instance_uid = $4'}${level === 'instance' ? ' and i.sop_instance_uid = $5' : ''}) r on true
          where ${validSessionSql('$1', '$2::timestamptz')}
          order by ${INSTANCE_ORDER}`,
});
const INSTANCES_BY_SESSION = { study: instancesBySession('study'), series: instancesBySession('series'), instance: instancesBySession('instance') };

/**
 * The instances a session cookie's physician may retrieve (`ref`), with the session's row; the
 * session row alone (no instances) when the study is not theirs or nothing matches; undefined
 * when the session is not valid. The caller applies the role and the touch.
 */
export async function instancesBySessionToken(deps: ReadDeps, tokenHash: string, ref: ResourceRef, now: number): Promise<{ session: SessionRow & { idleExpiresMs: number }; instances: StoredInstance[] } | undefined> {
  const level = ref.instance !== undefined ? 'instance' : ref.series !== undefined ? 'series' : 'study';
  const params: unknown[] = [tokenHash, new Date(now).toISOString(), ref.study];
  if (ref.series !== undefined) params.push(ref.series);
  if (ref.instance !== undefined) params.push(ref.instance);
  const rows = await deps.statements.query<SessionInstanceRow>(INSTANCES_BY_SESSION[level], params);
  const [first] = rows;
  if (!first) return undefined;
  const instances: StoredInstance[] = [];
  for (const r of rows) {
    if (r.sopInstanceUid !== null && r.transferSyntaxUid !== null && r.storageKey !== null && r.size !== null) {
      instances.push({ sopInstanceUid: r.sopInstanceUid, transferSyntaxUid: r.transferSyntaxUid, storageKey: r.storageKey, size: r.size });
    }
  }
  const { sessionId, lastSeenMs, absoluteExpiresMs, userId, role, idleExpiresMs } = first;
  return { session: { sessionId, lastSeenMs, absoluteExpiresMs, userId, role, idleExpiresMs }, instances };
}

/**
 * WADO-RS metadata: the instances' DICOM JSON, as one JSON array text. BulkDataURIs are stored
 * relative to the DICOMweb root and made absolute with `rootUrl` (ending in '/').
 */
export async function metadataOf(em: EntityManager, scope: ReadScope, ref: ResourceRef, rootUrl: string): Promise<string> {
  const rows = await queryReadableStudy<{ id: string | null; metadata: string }>(em, scope, ref.study, instancesOfRef('i.metadata::text as metadata', ref));
  if (rows.length === 0) throw notFound();
  // PostgreSQL prints jsonb as `"key": "value"`; inside a string value the quotes would be escaped,
  // so this prefix only ever meets real BulkDataURI members.
  const absolute = JSON.stringify(rootUrl).slice(1, -1);
  return `[${rows.map((r) => r.metadata.replaceAll('"BulkDataURI": "', `"BulkDataURI": "${absolute}`)).join(',')}]`;
}

/** Frame numbers from the `{frames}` path segment: 1-based, comma-separated (PS3.18 10.4.1.1.4). */
export function parseFrameList(list: string): number[] {
  const numbers = list.split(',').map((s) => s.trim());
  if (numbers.length === 0 || numbers.length > 10_000 || numbers.some((s) => !/^[1-9][0-9]{0,8}$/.test(s))) {
    throw badRequest('Frame numbers must be positive integers separated by commas');
  }
  return numbers.map(Number);
}

export interface Frames {
  transferSyntaxUid: string;
  count: number;
  /**
   * Where the frames lie in the stored object when they are read as stored (no extraction): the
   * byte ranges of each frame asked for, in order. The frame fast path reads them itself.
   */
  stored?: { key: string; ranges: ReadonlyArray<ReadonlyArray<readonly [number, number]>> };
  /** The frames' bytes, in the order asked (only called once negotiation succeeded). */
  read(): Promise<Segment[][]>;
}

/** The frames a statement found, with what is needed to read them. */
interface FrameRow {
  storageKey: string;
  transferSyntaxUid: string;
  needsExtraction: boolean;
  /** Byte ranges of each frame asked for, null for a frame number past the last one. */
  selected: Array<Array<[number, number]> | null> | null;
}

/** The frames of the instance, or of those asked by number: `$FRAMES` is where the numbers are bound. */
function selectedFramesSql(numbersParam: string | undefined): string {
  return numbersParam === undefined ? 'i.frames' : `(select jsonb_agg(i.frames -> (t.n - 1) order by t.ord) from unnest(${numbersParam}::int[]) with ordinality t(n, ord))`;
}

const INSTANCE_BY_UIDS = `from dicom_instance i join dicom_series se on se.id = i.series_id join dicom_study st on st.id = se.study_id
  where i.sop_instance_uid = $1 and se.series_instance_uid = $2 and st.study_instance_uid = $3`;
const FRAME_COLUMNS = (numbersParam: string | undefined): string =>
  `i.storage_key as "storageKey", i.transfer_syntax_uid as "transferSyntaxUid", i.frames_need_extraction as "needsExtraction", ${selectedFramesSql(numbersParam)} as selected`;

/**
 * The session of the cookie and the frames in one statement: every image a viewer shows is one
 * request, so the session check, the read rule and the frame lookup share one round trip. The
 * session columns come back whenever the session is valid, the frame columns only when it may
 * read the study. Binds: UIDs ($1-$3), the token hash ($4), now ($5), frame numbers ($6).
 */
const framesBySession = (all: boolean): PreparedStatement => ({
  name: `dicomweb_frames_by_session_v2${all ? '_all' : ''}`,
  text: `select ${SESSION_ROW_COLUMNS}, (extract(epoch from s.idle_expires_at) * 1000)::float8 as "idleExpiresMs", f.*
           from session s join app_user u on u.id = s.user_id
           left join lateral (select ${FRAME_COLUMNS(all ? undefined : '$6')} ${INSTANCE_BY_UIDS}
                                 and ${physicianReadsStudySql('u.id', 'st.study_instance_uid')}) f on true
          where ${validSessionSql('$4', '$5::timestamptz')}`,
});
const FRAMES_BY_SESSION = { list: framesBySession(false), all: framesBySession(true) };

/** The frames for a viewer resolved the long way (share grant, or a session the statement above did not settle). Binds: UIDs, physician ($4) or shared study ($5), frame numbers ($6). */
const framesByScope = (all: boolean): PreparedStatement => ({
  name: `dicomweb_frames_by_scope${all ? '_all' : ''}`,
  text: `select ${FRAME_COLUMNS(all ? undefined : '$6')} ${INSTANCE_BY_UIDS}
            and (($4::uuid is not null and ${physicianReadsStudySql('$4::uuid', 'st.study_instance_uid')})
                 or st.study_instance_uid = $5::text)`,
});
const FRAMES_BY_SCOPE = { list: framesByScope(false), all: framesByScope(true) };

type SessionFrameRow = SessionRow & { idleExpiresMs: number } & Partial<FrameRow>;

export interface FrameDeps extends ReadDeps {
  storage: Storage;
  /** The process's recent decisions (ADR 0136); without it every request reads the database. */
  readCache?: DicomwebReadCache;
}

/**
 * Frames of one instance by number (1-based), read by byte range from the stored file: the
 * index holds every frame's ranges, so nothing is parsed. `numbers` undefined means all frames
 * (pixel data as bulk data). A valid session cookie is settled inside the frame statement;
 * anything else (share grants, API keys, no or a dead session) through the viewer chain.
 */
export async function framesOf(deps: FrameDeps, reader: Reader, ref: Required<ResourceRef>, numbers: number[] | undefined): Promise<Frames> {
  const bySession = await framesBySessionCookie(deps, reader, ref, numbers);
  if (bySession) return bySession;
  // No valid session: resolved the long way (a share grant, most often), as every route does.
  const variant = numbers === undefined ? 'all' : 'list';
  const scope = readScopeOf(await reader.viewer());
  if (scope.kind === 'share' && scope.studyInstanceUid === null) throw notFound();
  const physician = scope.kind === 'physician' ? scope.userId : null;
  const shared = scope.kind === 'share' ? scope.studyInstanceUid : null;
  const [row] = await deps.statements.query<FrameRow>(FRAMES_BY_SCOPE[variant], [ref.instance, ref.series, ref.study, physician, shared, ...(numbers === undefined ? [] : [numbers])]);
  return framesOfRow(deps, row, numbers);
}

/**
 * The frames when the request's session cookie settles it: undefined when there is no cookie or
 * its session is not valid (the caller then goes the long way); 403/404 as framesOf answers.
 */
export async function framesBySessionCookie(deps: FrameDeps, reader: Reader, ref: Required<ResourceRef>, numbers: number[] | undefined): Promise<Frames | undefined> {
  const tokenHash = reader.sessionTokenHash;
  if (!tokenHash) return undefined;
  const cached = framesFromCache(deps, tokenHash, ref, numbers);
  if (cached) return cached;
  const now = Date.now();
  const cache = deps.readCache?.usable() ? deps.readCache : undefined;
  const userStudy = (userId: string): string => `${userId}\n${ref.study}`;
  const instanceKey = `${ref.study}\n${ref.series}\n${ref.instance}`;
  const mark = cache?.mark();
  // With a cache, every frame's ranges come back, to be kept for the instance's other frames.
  const variant = cache || numbers === undefined ? 'all' : 'list';
  const params = [ref.instance, ref.series, ref.study, tokenHash, new Date(now).toISOString(), ...(variant === 'list' ? [numbers] : [])];
  const read = () => deps.statements.query<SessionFrameRow>(FRAMES_BY_SESSION[variant], params);
  const [session] = cache ? await cache.shared(`${tokenHash}\n${instanceKey}`, read) : await read();
  // A read shared with a request begun a moment before checked the session at that moment.
  if (!session || now >= session.idleExpiresMs || now >= session.absoluteExpiresMs) return undefined;
  const touch = await slideSession(deps.config, () => reader.em(), session, now);
  userReadScope(session.role, session.userId);
  if (touch) cache?.touched(tokenHash, now, touch.idleExpiresAt.getTime());
  const row: Partial<FrameRow> = variant === 'all' && numbers !== undefined ? { ...session, selected: selectedOf(session.selected ?? [], numbers) } : session;
  if (cache && mark !== undefined) {
    const found = session.storageKey && session.transferSyntaxUid && session.needsExtraction !== undefined;
    cache.keep(mark, {
      tokenHash,
      session: {
        sessionId: session.sessionId,
        userId: session.userId,
        role: session.role,
        lastSeenMs: touch ? now : session.lastSeenMs,
        idleExpiresMs: touch ? touch.idleExpiresAt.getTime() : session.idleExpiresMs,
        absoluteExpiresMs: session.absoluteExpiresMs,
      },
      // Only what was allowed and found: a refusal is asked again next time.
      ...(found
        ? {
            userStudy: userStudy(session.userId),
            instanceKey,
            instance: { storageKey: session.storageKey!, transferSyntaxUid: session.transferSyntaxUid!, needsExtraction: session.needsExtraction!, frames: (session.selected ?? []) as Array<Array<[number, number]>> },
          }
        : {}),
    });
  }
  return framesOfRow(deps, row, numbers);
}

/**
 * framesBySessionCookie's answer from the read cache alone (ADR 0136), synchronously: undefined
 * when the cache cannot settle it (nothing kept, LISTEN down, or the session's touch is due,
 * which only the database path writes). Refusals throw as the database path would.
 */
export function framesFromCache(deps: FrameDeps, tokenHash: string, ref: Required<ResourceRef>, numbers: number[] | undefined): Frames | undefined {
  const cache = deps.readCache;
  if (!cache) return undefined;
  const hit = cache.frames(tokenHash, (userId) => `${userId}\n${ref.study}`, `${ref.study}\n${ref.series}\n${ref.instance}`);
  if (!hit || sessionTouch(deps.config, { lastSeenAt: new Date(hit.session.lastSeenMs), absoluteExpiresAt: new Date(hit.session.absoluteExpiresMs) }, Date.now())) return undefined;
  userReadScope(hit.session.role, hit.session.userId);
  const { storageKey, transferSyntaxUid, needsExtraction, frames } = hit.instance;
  return framesOfRow(deps, { storageKey, transferSyntaxUid, needsExtraction, selected: selectedOf(frames, numbers) }, numbers);
}

/** The ranges of the frames asked for out of every frame's, null for a number past the last one (as the statement's `frames -> n`). */
function selectedOf(frames: FrameRow['selected'] & object, numbers: number[] | undefined): FrameRow['selected'] {
  return numbers === undefined ? frames : numbers.map((n) => frames[n - 1] ?? null);
}

function framesOfRow(deps: FrameDeps, row: Partial<FrameRow> | undefined, numbers: number[] | undefined): Frames {
  if (!row?.storageKey || !row.transferSyntaxUid) throw notFound();
  const selected = row.selected ?? [];
  // An instance without pixel data has no frames; a frame number past the last one does not exist.
  if (selected.length === 0 || selected.some((f) => f === null)) throw notFound();
  const ranges = selected as Array<Array<[number, number]>>;
  const { storageKey, needsExtraction } = row;
  return {
    transferSyntaxUid: row.transferSyntaxUid,
    count: ranges.length,
    // Present in every answer (undefined when the frames must be extracted): one object shape.
    stored: needsExtraction ? undefined : { key: storageKey, ranges },
    read: async () => {
      if (!needsExtraction) return ranges.map((frame) => storedSegments(storageKey, frame));
      const bytes = await deps.storage.readAll(storageKey);
      const parsed = parsePart10(bytes);
      const indexes = numbers?.map((n) => n - 1) ?? ranges.map((_, i) => i);
      return indexes.map((i) => [extractFrame(bytes, parsed, i)]);
    },
  };
}

export type BulkData = { kind: 'frames'; frames: Frames } | { kind: 'value'; read(): Promise<Buffer> };

/** The value a metadata BulkDataURI points at: pixel data as its frames, anything else as its bytes. */
export async function bulkDataOf(deps: FrameDeps, reader: Reader, ref: Required<ResourceRef>, path: string): Promise<BulkData> {
  if (!/^[0-9A-F]{8}(\/[0-9]{1,6}\/[0-9A-F]{8})*$/.test(path)) throw badRequest('Invalid bulk data path');
  if (PIXEL_DATA_PATHS.has(path)) return { kind: 'frames', frames: await framesOf(deps, reader, ref, undefined) };
  const { storage } = deps;
  const [row] = await queryReadableStudy<{ id: string | null; storage_key: string; range: [number, number] | null; deflated: boolean }>(
    reader.em(),
    await reader.scope(),
    ref.study,
    {
      sql: `select i.id, i.storage_key, i.bulk_data -> ? as range, i.transfer_syntax_uid = '1.2.840.10008.1.2.1.99' as deflated
              from dicom_instance i join dicom_series se on se.id = i.series_id
             where se.study_id = st.id and se.series_instance_uid = ? and i.sop_instance_uid = ?`,
      params: [path, ref.series, ref.instance],
      orderBy: 'r.id',
    },
  );
  const range = row?.range;
  if (!row || !range) throw notFound();
  return {
    kind: 'value',
    read: async () => {
      if (!row.deflated) return storage.readRanges(row.storage_key, [range]);
      // Offsets of a deflated instance point into its inflated data set.
      const inflated = inflateDataSet(await storage.readAll(row.storage_key));
      return Buffer.from(inflated.subarray(range[0], range[0] + range[1]));
    },
  };
}

/** One stored file, whole, as a response segment. */
export function instanceSegment(instance: StoredInstance): Segment {
  return { key: instance.storageKey, offset: 0, length: instance.size };
}
