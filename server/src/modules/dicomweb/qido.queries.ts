import { createHash } from 'node:crypto';
import type { PreparedStatement } from '../../infra/db/prepared-statements.js';
import { badRequest } from './dicomweb-error.js';
import { searchForm } from './dicomweb-paths.js';
import { SESSION_ROW_COLUMNS } from './dicomweb-access.service.js';
import { validSessionSql } from '../auth/auth.service.js';
import { pgArray } from './pg-array.js';

/**
 * The SQL of QIDO-RS: matching conditions built from query parameters, and the one statement
 * per level. Every value is a bound parameter (`?`); column names come from this file only.
 */

export type Query = Record<string, unknown>;

/** Keywords accepted as matching keys and in includefield, with their tags. */
export const KEYWORDS: Record<string, string> = {
  SpecificCharacterSet: '00080005', SOPClassUID: '00080016', SOPInstanceUID: '00080018', StudyDate: '00080020',
  SeriesDate: '00080021', AcquisitionDate: '00080022', ContentDate: '00080023', StudyTime: '00080030', SeriesTime: '00080031',
  ContentTime: '00080033', AccessionNumber: '00080050', Modality: '00080060', ModalitiesInStudy: '00080061',
  Manufacturer: '00080070', InstitutionName: '00080080', ReferringPhysicianName: '00080090', StationName: '00081010',
  StudyDescription: '00081030', SeriesDescription: '0008103E', InstitutionalDepartmentName: '00081040',
  PerformingPhysicianName: '00081050', NameOfPhysiciansReadingStudy: '00081060', ManufacturerModelName: '00081090',
  PatientName: '00100010', PatientID: '00100020', IssuerOfPatientID: '00100021', PatientBirthDate: '00100030',
  PatientSex: '00100040', OtherPatientIDs: '00101000', PatientAge: '00101010', PatientSize: '00101020', PatientWeight: '00101030',
  BodyPartExamined: '00180015', SliceThickness: '00180050', ProtocolName: '00181030', StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E', StudyID: '00200010', SeriesNumber: '00200011', InstanceNumber: '00200013',
  ImagePositionPatient: '00200032', ImageOrientationPatient: '00200037', FrameOfReferenceUID: '00200052',
  NumberOfStudyRelatedSeries: '00201206', NumberOfStudyRelatedInstances: '00201208', NumberOfSeriesRelatedInstances: '00201209',
  SamplesPerPixel: '00280002', PhotometricInterpretation: '00280004', NumberOfFrames: '00280008', Rows: '00280010',
  Columns: '00280011', PixelSpacing: '00280030', BitsAllocated: '00280100', BitsStored: '00280101',
  PixelRepresentation: '00280103', WindowCenter: '00281050', WindowWidth: '00281051', RescaleIntercept: '00281052',
  RescaleSlope: '00281053', DocumentTitle: '00420010', MIMETypeOfEncapsulatedDocument: '00420012',
};

export function tagOf(key: string): string | undefined {
  if (/^[0-9A-Fa-f]{8}$/.test(key)) return key.toUpperCase();
  return KEYWORDS[key];
}

/** Every value of a matching key, splitting lists given with commas or backslashes (PS3.18 8.3.4.1). */
function values(query: Query, tag: string): string[] {
  const out: string[] = [];
  for (const [key, raw] of Object.entries(query)) {
    if (tagOf(key) !== tag) continue;
    for (const v of Array.isArray(raw) ? raw : [raw]) {
      if (typeof v !== 'string') throw badRequest(`Invalid value for ${key}`);
      if (v.length > 1024) throw badRequest(`The value of ${key} is too long`);
      out.push(...v.split(/[,\\]/).map((s) => s.trim()).filter((s) => s !== ''));
    }
  }
  return out;
}

function single(query: Query, tag: string, name: string): string | undefined {
  const all = values(query, tag);
  if (all.length > 1) throw badRequest(`${name} takes a single value`);
  return all[0];
}

/** `*` and `?` wildcards as a LIKE pattern, everything else literal. */
function likePattern(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%').replace(/\?/g, '_');
}

/**
 * A PN column in its search form, in SQL: lower case, Latin accents removed. Only for columns
 * the index keeps no search form of (ReferringPhysicianName); PatientName has one, made in
 * JavaScript from every script's accents.
 */
const FOLD_FROM = 'àáâãäåāăąçćčďèéêëēėęěìíîïīįłñńňòóôõöøōőŕřśšşťùúûüūůűųýÿźżžæœ';
const FOLD_TO = 'aaaaaaaaacccdeeeeeeeeiiiiiilnnnoooooooorrssstuuuuuuuuyyzzzæœ';
const foldedSql = (column: string): string => `translate(lower(${column}), '${FOLD_FROM}', '${FOLD_TO}')`;

/** The matching conditions of one search, joined with `and`, and their bound parameters. */
class Conditions {
  readonly sql: string[] = [];
  readonly params: unknown[] = [];

  add(sql: string, ...params: unknown[]): void {
    this.sql.push(sql);
    this.params.push(...params);
  }

  /** Single value matching, or wildcard matching when the value holds `*` or `?`. */
  text(column: string, value: string | undefined): void {
    if (value === undefined) return;
    if (/[*?]/.test(value)) this.add(`${column} like ? escape '\\'`, likePattern(value));
    else this.add(`${column} = ?`, value);
  }

  /** List of UID matching. */
  uids(column: string, list: string[], name: string): void {
    if (list.length === 0) return;
    if (list.some((u) => u.length > 64 || !/^[0-9]+(\.[0-9]+)*$/.test(u))) throw badRequest(`${name} holds an invalid UID`);
    this.add(`${column} = any(?::text[])`, pgArray(list));
  }

  /** A list of single values (Modality=CT,MR). */
  anyOf(column: string, list: string[]): void {
    if (list.length === 1) this.text(column, list[0]);
    else if (list.length > 1) this.add(`${column} = any(?::text[])`, pgArray(list));
  }

  integer(column: string, value: string | undefined, name: string): void {
    if (value === undefined) return;
    if (!/^-?[0-9]{1,9}$/.test(value)) throw badRequest(`${name} must be an integer`);
    this.add(`${column} = ?`, Number(value));
  }

  /**
   * Range matching (PS3.4 C.2.2.2.5) of DA or TM kept in the index as YYYYMMDD / HHMMSS[.F]:
   * a single value, `from-`, `-to` or `from-to`. A time bound is compared at its own precision
   * (`-1030` includes 10:30:59).
   */
  range(column: string, value: string | undefined, name: string, vr: 'DA' | 'TM'): void {
    if (value === undefined) return;
    const part = vr === 'DA' ? '(\\d{8})' : '(\\d{2}(?:\\d{2}(?:\\d{2}(?:\\.\\d{1,6})?)?)?)';
    const m = new RegExp(`^${part}?(-)?${part}?$`).exec(vr === 'TM' ? value.replace(/:/g, '') : value);
    if (!m || (!m[1] && !m[3])) {
      throw badRequest(vr === 'DA' ? `${name} must be YYYYMMDD or a range YYYYMMDD-YYYYMMDD` : `${name} must be HHMMSS or a range HHMM-HHMM`);
    }
    const [, from, dash, to] = m;
    const at = (bound: string): string => (vr === 'TM' ? `left(${column}, ${bound.length})` : column);
    if (!dash) this.add(`${at(from!)} = ?`, from);
    else {
      if (from) this.add(`${at(from)} >= ?`, from);
      if (to) this.add(`${at(to)} <= ?`, to);
    }
  }

  /**
   * Person name matching, always case- and accent-insensitive. Without fuzzymatching, the value
   * (wildcards allowed) matches the whole name or one of its component groups; with
   * fuzzymatching=true, every word of the value is the start of some component of the name
   * ("dup jea" matches DUPONT^JEAN), in any order.
   */
  personName(searchColumn: string, value: string | undefined, fuzzy: boolean): void {
    if (value === undefined) return;
    const form = searchForm(value);
    if (fuzzy) {
      const words = form.split(/[\^= ,]+/).filter((w) => w !== '' && w !== '*');
      for (const word of words) {
        this.add(`exists (select 1 from regexp_split_to_table(${searchColumn}, '[\\^= ,]+') w where w like ? escape '\\')`, `${likePattern(word)}%`);
      }
      return;
    }
    const pattern = likePattern(form);
    this.add(
      `(${searchColumn} like ? escape '\\' or split_part(${searchColumn}, '=', 1) like ? escape '\\'
        or split_part(${searchColumn}, '=', 2) like ? escape '\\' or split_part(${searchColumn}, '=', 3) like ? escape '\\')`,
      pattern, pattern, pattern, pattern,
    );
  }

  where(): string {
    return this.sql.length ? this.sql.join(' and ') : 'true';
  }
}

/** Whether `fuzzymatching=true` was asked (PS3.18 8.3.4.5); any other value than true/false is refused. */
function fuzzyOf(query: Query): boolean {
  const raw = query.fuzzymatching;
  if (raw === undefined) return false;
  if (raw !== 'true' && raw !== 'false') throw badRequest('fuzzymatching must be true or false');
  return raw === 'true';
}

/** The study-level keys (PS3.18 Table 10.6.1-5) as conditions on `st`. */
function studyConditions(c: Conditions, query: Query): void {
  const fuzzy = fuzzyOf(query);
  c.uids('st.study_instance_uid', values(query, '0020000D'), 'StudyInstanceUID');
  c.text('st.patient_id', single(query, '00100020', 'PatientID'));
  c.text('st.accession_number', single(query, '00080050', 'AccessionNumber'));
  c.text('st.study_id', single(query, '00200010', 'StudyID'));
  c.personName('st.patient_name_search', single(query, '00100010', 'PatientName'), fuzzy);
  c.personName(
    foldedSql(`regexp_replace(st.referring_physician_name, '\\^+(=|$)', '\\1', 'g')`),
    single(query, '00080090', 'ReferringPhysicianName'),
    fuzzy,
  );
  c.range('st.study_date', single(query, '00080020', 'StudyDate'), 'StudyDate', 'DA');
  c.range('st.study_time', single(query, '00080030', 'StudyTime'), 'StudyTime', 'TM');
  c.range('st.patient_birth_date', single(query, '00100030', 'PatientBirthDate'), 'PatientBirthDate', 'DA');
  c.text('st.patient_sex', single(query, '00100040', 'PatientSex'));
  const modalities = values(query, '00080061');
  if (modalities.length) c.add('st.modalities && ?::text[]', pgArray(modalities));
}

/** The series-level keys (PS3.18 Table 10.6.1-5) as conditions on `se`. */
function seriesConditions(c: Conditions, query: Query): void {
  c.uids('se.series_instance_uid', values(query, '0020000E'), 'SeriesInstanceUID');
  c.anyOf('se.modality', values(query, '00080060'));
  c.integer('se.series_number', single(query, '00200011', 'SeriesNumber'), 'SeriesNumber');
}

/** The instance-level keys (PS3.18 Table 10.6.1-5) as conditions on `i`. */
function instanceConditions(c: Conditions, query: Query): void {
  c.uids('i.sop_instance_uid', values(query, '00080018'), 'SOPInstanceUID');
  c.uids('i.sop_class_uid', values(query, '00080016'), 'SOPClassUID');
  c.integer('i.instance_number', single(query, '00200013', 'InstanceNumber'), 'InstanceNumber');
}

export function paging(query: Query): { limit: number; offset: number } {
  const num = (name: string, fallback: number, max: number): number => {
    const raw = query[name];
    if (raw === undefined) return fallback;
    if (typeof raw !== 'string' || !/^[0-9]{1,9}$/.test(raw)) throw badRequest(`${name} must be a non-negative integer`);
    return Math.min(Number(raw), max);
  };
  return { limit: num('limit', MAX_RESULTS, MAX_RESULTS), offset: num('offset', 0, 1_000_000_000) };
}

/** The most matches one response carries; more are asked for with offset (the Warning header says so). */
export const MAX_RESULTS = 1000;

export type Level = 'study' | 'series' | 'instance';

/** The study or series a search is restricted to by its path (`/studies/{s}/series/{r}/instances`). */
export interface SearchPath {
  study?: string;
  series?: string;
}

/** Who may read which study, as a condition on `st` (dicomweb-access.service.ts builds it). */
export interface Readable {
  sql: string;
  params: unknown[];
}

const STUDY_COLUMNS = `st.id as study_row_id, st.study_instance_uid, st.patient_name, st.patient_id, st.patient_birth_date, st.patient_sex,
  st.study_date, st.study_time, st.accession_number, st.study_description, st.study_id, st.referring_physician_name, st.modalities`;
const SERIES_COLUMNS = 'se.id as series_row_id, se.series_instance_uid, se.modality, se.series_number, se.series_description';
const INSTANCE_COLUMNS = 'i.id as instance_row_id, i.sop_class_uid, i.sop_instance_uid, i.instance_number, i.rows, i.columns, i.number_of_frames';

const ORDER: Record<Level, string> = {
  study: 'st.study_date desc nulls last, st.study_time desc nulls last, st.study_instance_uid',
  series: 'st.study_instance_uid, se.series_number nulls last, se.series_instance_uid',
  instance: 'st.study_instance_uid, se.series_number nulls last, se.series_instance_uid, i.instance_number nulls last, i.sop_instance_uid',
};

/**
 * One search as a statement. Keys of the level searched and of the levels above it match (a
 * series search may filter on PatientName); keys of the levels below are ignored, as PS3.18
 * lets a server do. Counts are subqueries evaluated for the returned page only. One row more
 * than `limit` is fetched, so the caller knows whether the answer was cut.
 */
export function searchStatement(
  level: Level,
  query: Query,
  path: SearchPath,
  readable: Readable,
  opts: { metadata: boolean },
): { sql: string; params: unknown[]; limit: number } {
  const c = new Conditions();
  c.add(readable.sql, ...readable.params);
  if (path.study !== undefined) c.add('st.study_instance_uid = ?', path.study);
  else studyConditions(c, query);
  if (level !== 'study') {
    if (path.series !== undefined) c.add('se.series_instance_uid = ?', path.series);
    else seriesConditions(c, query);
  }
  if (level === 'instance') instanceConditions(c, query);
  const { limit, offset } = paging(query);

  const columns = [STUDY_COLUMNS];
  let from = 'dicom_study st';
  if (level === 'study') {
    columns.push(
      '(select count(*)::int from dicom_series s2 where s2.study_id = st.id) as series_count',
      '(select count(*)::int from dicom_instance i2 join dicom_series s2 on s2.id = i2.series_id where s2.study_id = st.id) as instance_count',
    );
  } else {
    columns.push(SERIES_COLUMNS);
    from += ' join dicom_series se on se.study_id = st.id';
  }
  if (level === 'series') columns.push('(select count(*)::int from dicom_instance i2 where i2.series_id = se.id) as instance_count');
  if (level === 'instance') {
    columns.push(INSTANCE_COLUMNS);
    if (opts.metadata) columns.push('i.metadata');
    from += ' join dicom_instance i on i.series_id = se.id';
  }
  return {
    sql: `select ${columns.join(', ')} from ${from} where ${c.where()} order by ${ORDER[level]} limit ? offset ?`,
    params: [...c.params, limit + 1, offset],
    limit,
  };
}

/** One instance's metadata per study (or series) of a result page, in a single statement. */
export function representativeMetadataStatement(groupColumn: 'se.study_id' | 'se.id', ids: string[]): { sql: string; params: unknown[] } {
  return {
    sql: `select distinct on (${groupColumn}) ${groupColumn} as group_id, i.metadata
            from dicom_instance i join dicom_series se on se.id = i.series_id
           where ${groupColumn} = any(?::uuid[])
           order by ${groupColumn}, se.series_number nulls last, i.instance_number nulls last`,
    params: [pgArray(ids)],
  };
}

/**
 * A search and the session of the request's cookie in one statement: the session's columns
 * (SESSION_ROW_COLUMNS) on every row whenever the session is valid, the search's beside them
 * (`study_row_id` null on the one row of a search that found nothing), the search's condition on
 * who reads what written for the session's user `u`. No row: no valid session. Binds: the token
 * hash and now, then the search's.
 */
export function searchBySessionStatement(
  search: { sql: string; params: unknown[] },
  level: Level,
  session: { tokenHash: string; now: Date },
): { sql: string; params: unknown[] } {
  return {
    sql: `select ${SESSION_ROW_COLUMNS}, r.*
            from (select ?::text as token_hash, ?::timestamptz as now) k
            join session s on s.token_hash = k.token_hash join app_user u on u.id = s.user_id
            left join lateral (${search.sql}) r on true
           where ${validSessionSql('k.token_hash', 'k.now')}
           order by ${ORDER[level].replace(/\b(st|se|i)\./g, 'r.')}`,
    params: [session.tokenHash, session.now.toISOString(), ...search.params],
  };
}

/**
 * The most distinct search statements a process prepares. A statement's text depends only on
 * which keys a search names (values are bound), so real clients use a handful; past this many,
 * searches run unprepared, so that no client can make every connection keep an unbounded
 * number of statements.
 */
const MAX_PREPARED = 200;
const preparedByText = new Map<string, PreparedStatement>();

/**
 * A search statement as a named prepared statement (`?` placeholders numbered), or undefined
 * past MAX_PREPARED. Planning a one-study search cost four times its execution (1.1 ms against
 * 0.25 ms, EXPLAIN ANALYZE): PostgreSQL parses and plans each once per connection instead.
 */
export function prepared(sql: string): PreparedStatement | undefined {
  const known = preparedByText.get(sql);
  if (known || preparedByText.size >= MAX_PREPARED) return known;
  let n = 0;
  const text = sql.replace(/\?/g, () => `$${++n}`);
  const statement = { name: `qido_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`, text };
  preparedByText.set(sql, statement);
  return statement;
}
