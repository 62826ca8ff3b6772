import type { EntityManager } from '@mikro-orm/postgresql';
import { instanceLevelJson, seriesLevelJson, studyLevelJson, type DicomJsonDataSet } from '../dicom/index.js';
import {
  readableStudiesCondition,
  readsOneStudyCondition,
  scopeOfSession,
  sessionUserReadsCondition,
  type ReadDeps,
  type ReadScope,
  type Reader,
  type SessionRow,
} from './dicomweb-access.service.js';
import { badRequest, notFound } from './dicomweb-error.js';
import { instancePath, seriesPath, studyPath } from './dicomweb-paths.js';
import { prepared, representativeMetadataStatement, searchBySessionStatement, searchStatement, tagOf, type Level, type Query, type SearchPath } from './qido.queries.js';

/**
 * QIDO-RS (PS3.18 10.6) over the index, never over files, on its six routes: studies, series
 * and instances, at the root or under a study (and series). Readable studies are a condition of
 * the statement itself, so what a caller may not read is neither returned nor counted; under a
 * study path, a study the caller may not read answers 404 like an absent one.
 */

export interface SearchResult {
  matches: DicomJsonDataSet[];
  /** More matches than `limit` (or than the server's maximum): the route adds PS3.18's Warning. */
  truncated: boolean;
}

/** The attributes `includefield=all` adds at study and series level (PS3.18 Table 10.6.3-3/4 and their modules). */
const STUDY_LEVEL_PREFIXES = ['0010'];
const STUDY_LEVEL_TAGS = new Set(['00080020', '00080030', '00080050', '00080080', '00080090', '00081030', '00081060', '0020000D', '00200010']);
const SERIES_LEVEL_TAGS = new Set(['00080021', '00080031', '00080060', '00080070', '0008103E', '00081050', '00081090', '00180015', '00181030', '0020000E', '00200011', '00200052']);

interface Include {
  all: boolean;
  tags: Set<string>;
}

/** `includefield`: tags to add from a representative instance's metadata, or 'all'. */
function includeFields(query: Query): Include {
  const raw = query.includefield;
  const list = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).flatMap((v) => {
    if (typeof v !== 'string') throw badRequest('Invalid includefield');
    return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  });
  const tags = new Set<string>();
  let all = false;
  for (const item of list) {
    if (item === 'all') {
      all = true;
      continue;
    }
    const tag = tagOf(item);
    if (!tag) throw badRequest(`Unknown attribute in includefield: ${item.slice(0, 64)}`);
    tags.add(tag);
  }
  return { all, tags };
}

const wantsMetadata = (include: Include): boolean => include.all || include.tags.size > 0;

function withIncluded(result: DicomJsonDataSet, metadata: DicomJsonDataSet | undefined, include: Include, level: Level): DicomJsonDataSet {
  if (!metadata) return result;
  const out = { ...result };
  for (const [tag, attribute] of Object.entries(metadata)) {
    if (tag in out || attribute.BulkDataURI !== undefined || attribute.InlineBinary !== undefined) continue;
    const byLevel =
      level === 'instance' ||
      (level === 'study' ? STUDY_LEVEL_TAGS.has(tag) || STUDY_LEVEL_PREFIXES.includes(tag.slice(0, 4)) : SERIES_LEVEL_TAGS.has(tag) || STUDY_LEVEL_TAGS.has(tag));
    if (include.tags.has(tag) || (include.all && byLevel)) out[tag] = attribute;
  }
  return sorted(out);
}

const sorted = (data: DicomJsonDataSet): DicomJsonDataSet => Object.fromEntries(Object.entries(data).sort(([a], [b]) => a.localeCompare(b)));

interface Row {
  study_row_id: string;
  study_instance_uid: string;
  patient_name: string | null;
  patient_id: string | null;
  patient_birth_date: string | null;
  patient_sex: string | null;
  study_date: string | null;
  study_time: string | null;
  accession_number: string | null;
  study_description: string | null;
  study_id: string | null;
  referring_physician_name: string | null;
  modalities: string[];
  series_count?: number;
  instance_count?: number;
  series_row_id?: string;
  series_instance_uid?: string;
  modality?: string | null;
  series_number?: number | null;
  series_description?: string | null;
  sop_class_uid?: string;
  sop_instance_uid?: string;
  instance_number?: number | null;
  rows?: number | null;
  columns?: number | null;
  number_of_frames?: number;
  metadata?: DicomJsonDataSet;
}

function studyJson(r: Row, rootUrl: string, counts: boolean): DicomJsonDataSet {
  return studyLevelJson({
    studyInstanceUid: r.study_instance_uid,
    studyDate: r.study_date,
    studyTime: r.study_time,
    accessionNumber: r.accession_number,
    modalitiesInStudy: r.modalities,
    referringPhysicianName: r.referring_physician_name,
    patientName: r.patient_name,
    patientId: r.patient_id,
    patientBirthDate: r.patient_birth_date,
    patientSex: r.patient_sex,
    studyId: r.study_id,
    studyDescription: r.study_description,
    ...(counts ? { numberOfStudyRelatedSeries: r.series_count, numberOfStudyRelatedInstances: r.instance_count } : {}),
    retrieveUrl: rootUrl + studyPath(r.study_instance_uid),
  });
}

function seriesJson(r: Row, rootUrl: string): DicomJsonDataSet {
  const series = r.series_instance_uid!;
  return seriesLevelJson({
    studyInstanceUid: r.study_instance_uid,
    seriesInstanceUid: series,
    modality: r.modality,
    seriesNumber: r.series_number,
    seriesDescription: r.series_description,
    ...(r.instance_count !== undefined ? { numberOfSeriesRelatedInstances: r.instance_count } : {}),
    retrieveUrl: rootUrl + seriesPath(r.study_instance_uid, series),
  });
}

function instanceJson(r: Row, rootUrl: string): DicomJsonDataSet {
  return instanceLevelJson({
    studyInstanceUid: r.study_instance_uid,
    seriesInstanceUid: r.series_instance_uid,
    sopClassUid: r.sop_class_uid!,
    sopInstanceUid: r.sop_instance_uid!,
    instanceNumber: r.instance_number,
    rows: r.rows,
    columns: r.columns,
    numberOfFrames: r.number_of_frames !== undefined && r.number_of_frames > 0 ? r.number_of_frames : null,
    retrieveUrl: rootUrl + instancePath(r.study_instance_uid, r.series_instance_uid!, r.sop_instance_uid!),
  });
}

/**
 * A match as PS3.18 Table 10.6.3-3/4/5 lists it: its own level's attributes, and those of the
 * levels above that its path did not fix (a search over every series also says whose study
 * each series belongs to). The match's own RetrieveURL wins.
 */
function matchJson(level: Level, r: Row, path: SearchPath, rootUrl: string): DicomJsonDataSet {
  if (level === 'study') return studyJson(r, rootUrl, true);
  const above: DicomJsonDataSet = {};
  if (path.study === undefined) Object.assign(above, studyJson(r, rootUrl, false));
  if (level === 'instance' && path.series === undefined) Object.assign(above, seriesJson({ ...r, instance_count: undefined }, rootUrl));
  const own = level === 'series' ? seriesJson(r, rootUrl) : instanceJson(r, rootUrl);
  return sorted({ ...above, ...own });
}

/** One instance's metadata per study (or series) of a result page, in a single query. */
async function representativeMetadata(em: EntityManager, groupColumn: 'se.study_id' | 'se.id', ids: string[]): Promise<Map<string, DicomJsonDataSet>> {
  if (ids.length === 0) return new Map();
  const statement = representativeMetadataStatement(groupColumn, ids);
  const rows = await em.execute<{ group_id: string; metadata: DicomJsonDataSet }[]>(statement.sql, statement.params);
  return new Map(rows.map((r) => [r.group_id, r.metadata]));
}

/** One statement's rows: prepared when its text is one of the few a process prepares, else through the EntityManager. */
async function rowsOf<T extends Record<string, unknown>>(deps: ReadDeps, reader: Reader, statement: { sql: string; params: unknown[] }): Promise<T[]> {
  const named = prepared(statement.sql);
  return named ? deps.statements.query<T>(named, statement.params) : reader.em().execute<T[]>(statement.sql, statement.params);
}

/**
 * GET /studies, /series, /instances, /studies/{study}/series, /studies/{study}/instances and
 * /studies/{study}/series/{series}/instances. A session cookie is checked in the search's own
 * statement (one round trip, as for frames); anything else (share grants, API keys, no or a dead
 * session) goes through the viewer chain, then the search.
 */
export async function search(deps: ReadDeps, reader: Reader, level: Level, path: SearchPath, query: Query, rootUrl: string): Promise<SearchResult> {
  const include = includeFields(query);
  const opts = { metadata: level === 'instance' && wantsMetadata(include) };
  const shape = path.study !== undefined ? 'one study' : 'many studies';
  let found: { scope: ReadScope; rows: Row[]; limit: number } | undefined;

  if (reader.sessionTokenHash) {
    const now = Date.now();
    const statement = searchStatement(level, query, path, sessionUserReadsCondition('st.study_instance_uid', shape), opts);
    const rows = await rowsOf<SessionRow & Row & Record<string, unknown>>(deps, reader, searchBySessionStatement(statement, level, { tokenHash: reader.sessionTokenHash, now: new Date(now) }));
    if (rows[0]) found = { scope: await scopeOfSession(deps, reader, rows[0], now), rows: rows.filter((r) => r.study_row_id !== null), limit: statement.limit };
  }
  if (!found) {
    const scope = await reader.scope();
    const readable = shape === 'one study' ? readsOneStudyCondition(scope, 'st.study_instance_uid') : readableStudiesCondition(scope, 'st.study_instance_uid');
    const statement = searchStatement(level, query, path, readable, opts);
    found = { scope, rows: await rowsOf<Row & Record<string, unknown>>(deps, reader, statement), limit: statement.limit };
  }
  const { scope, rows, limit } = found;
  if (rows.length === 0 && path.study !== undefined) await checkReadable(reader.em(), scope, path.study);
  const truncated = rows.length > limit;
  const page = rows.slice(0, limit);

  let metadata = new Map<string, DicomJsonDataSet>();
  if (level === 'study' && wantsMetadata(include)) metadata = await representativeMetadata(reader.em(), 'se.study_id', page.map((r) => r.study_row_id));
  if (level === 'series' && wantsMetadata(include)) metadata = await representativeMetadata(reader.em(), 'se.id', page.map((r) => r.series_row_id!));
  const matches = page.map((r) => {
    const ownMetadata = level === 'instance' ? r.metadata : metadata.get(level === 'study' ? r.study_row_id : r.series_row_id!);
    return withIncluded(matchJson(level, r, path, rootUrl), ownMetadata, include, level);
  });
  return { matches, truncated };
}

/** Nothing matched under a study path: 404 unless the study exists and the caller may read it. */
async function checkReadable(em: EntityManager, scope: ReadScope, study: string): Promise<void> {
  const readable = readsOneStudyCondition(scope, 'st.study_instance_uid');
  const [row] = await em.execute<{ one: number }[]>(`select 1 as one from dicom_study st where st.study_instance_uid = ? and ${readable.sql}`, [study, ...readable.params]);
  if (!row) throw notFound();
}
