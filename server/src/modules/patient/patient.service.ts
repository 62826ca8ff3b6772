import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput } from '../../common/errors.js';
import { decodeCursor, encodeCursor, type CursorPosition } from '../../common/cursor.js';
import { isUuid } from '../../common/ids.js';
import type { Viewer } from '../../graphql/context.js';
import { PreparedStatements, type PreparedStatement } from '../../infra/db/prepared-statements.js';
import { auditNow, type AuditFields } from '../audit/audit.service.js';
import { asDate, requirePhysician, requirePhysicianId, uuidArray, VISIBLE_ACCESS_SQL, VISIBLE_EXAMS_SQL } from '../exam/exam.service.js';
import type { Sex } from './patient.entity.js';
import { foldName, type PatientRecordData } from './patient-identity.service.js';

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;
const MAX_FILTER_LENGTH = 100;
const MAX_FILTER_WORDS = 6;

/** A patient as the dashboard shows them to one physician: identity plus their visible exams' summary. */
export interface PatientSummary {
  id: string;
  firstName: string;
  lastName: string;
  birthName: string | null;
  birthDate: string | null;
  sex: Sex | null;
  lastExamAt: Date;
  lastExamTitle: string;
  hasUnopened: boolean;
  /** lastExamAt as PostgreSQL prints it (microseconds kept), for an exact cursor. */
  lastExamAtText: string;
}

export interface PatientPage {
  nodes: Array<PatientSummary & { cursor: string }>;
  hasNextPage: boolean;
  endCursor: string | null;
}

/**
 * The filter's words, folded exactly like `patient.search_name` (see patient-identity.service),
 * so "HÉLÈNE", "helene" and "hel" all meet "helene dupont moreau".
 */
export function filterWords(name: string | null | undefined): string[] {
  if (name == null) return [];
  if (name.length > MAX_FILTER_LENGTH) throw badInput(`The name filter is limited to ${MAX_FILTER_LENGTH} characters`, 'filter.name');
  // Letters and digits only: LIKE's wildcards (% and _) can never reach the pattern.
  const words = foldName(name).split(/[^\p{L}\p{N}]+/u).filter((w) => w !== '');
  if (words.length > MAX_FILTER_WORDS) throw badInput(`The name filter is limited to ${MAX_FILTER_WORDS} words`, 'filter.name');
  return words;
}

/** The dashboard's sort key as PostgreSQL prints it (microseconds): its cursors compare exactly. */
const CURSOR_AT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/;
const isCursorAt = (at: string): boolean => CURSOR_AT.test(at);

interface SummaryQuery {
  patientIds?: readonly string[];
  words?: string[];
  after?: CursorPosition;
  limit?: number;
}

/**
 * THE visibility rule for administrative records, as SQL (alias `r` for administrative_record,
 * one `?` bound to the physician id): a physician sees a centre's record of a patient iff they
 * may see one of that patient's exams from that centre (DESIGN: "one per facility whose exams
 * this viewer may see"). A record tells that the patient went to that centre, and when: for a
 * centre whose exams the physician may not see, that is another physician's health data.
 */
export const VISIBLE_RECORD_SQL = `exists (select 1 from exam_access a join exam e on e.id = a.exam_id
   where a.physician_id = ? and a.exam_published and a.patient_id = r.patient_id and e.facility_id = r.facility_id)`;

/**
 * Who the patient is for this physician (alias `who`, lateral on `v.patient_id` and the patient
 * row `p`; one `?`, the physician id): the newest record they may see. The patient row, which
 * mirrors the newest record of any centre, is the fallback only when no visible record exists
 * (an exam left behind when its centre's record moved to another patient by an INS correction).
 */
const IDENTITY_SQL = `cross join lateral (
  select x.first_name, x.last_name, x.birth_name, x.birth_date, x.sex from (
    select 0 as fallback, r.received_at as at, r.id, r.first_name, r.last_name, r.birth_name, r.birth_date, r.sex
      from administrative_record r where r.patient_id = v.patient_id and ${VISIBLE_RECORD_SQL}
    union all
    select 1, null, p.id, p.first_name, p.last_name, p.birth_name, p.birth_date, p.sex
  ) x order by x.fallback, x.at desc, x.id limit 1) who`;

/**
 * The name filter (bound to: the folded words' patterns, the physician id, the patterns again,
 * the physician id): every word is the prefix of a word of one name this physician may see —
 * a visible record's names, or the fallback identity's when no record is visible. A name only
 * another centre sent never finds the patient. The names are matched before the visibility of
 * their record is checked, so that check runs for the few records that match, not for every one.
 */
const NAME_FILTER_SQL = `(exists (select 1 from administrative_record r where r.patient_id = v.patient_id
       and (' ' || r.search_name) like all (?::text[]) and ${VISIBLE_RECORD_SQL})
   or ((' ' || p.search_name) like all (?::text[])
       and not exists (select 1 from administrative_record r where r.patient_id = v.patient_id and ${VISIBLE_RECORD_SQL})))`;

const nameFilterParams = (physicianId: string, words: string[]): unknown[] => {
  const patterns = `{${words.map((w) => `"% ${w}%"`).join(',')}}`;
  return [patterns, physicianId, patterns, physicianId];
};

/**
 * THE visibility rule for patients: a physician sees a patient iff they may see at least one of
 * the patient's exams (VISIBLE_ACCESS_SQL, i.e. VISIBLE_EXAMS_SQL), and what they see of the
 * patient's activity (last exam, "not yet opened") is computed from those exams only, so another
 * physician's exams never show, not even as a date; their identity is IDENTITY_SQL's. Newest
 * visible exam first; ties broken by id for a stable cursor.
 *
 * Plan: the physician's rights grouped by patient (an index-only scan), then each patient by
 * primary key (`offset 0` keeps that lateral lookup from being turned into a scan of the whole
 * patient table). Without a name filter, the page is cut before the patients are read.
 */
/** patientSummaries' SQL by shape (which of ids, words, cursor and limit it has): at most 16. */
const summarySql = new Map<string, string>();

async function patientSummaries(db: Statements, physicianId: string, q: SummaryQuery): Promise<PatientSummary[]> {
  const titleParams: unknown[] = [physicianId];
  const innerParams: unknown[] = [physicianId];
  let inner = `select a.patient_id, max(a.exam_date) as last_exam_at, bool_or(a.first_opened_at is null) as has_unopened
                 from ${VISIBLE_ACCESS_SQL}`;
  if (q.patientIds) {
    inner += ' and a.patient_id = any(?::uuid[])';
    innerParams.push(uuidArray(q.patientIds));
  }
  inner += ' group by a.patient_id';
  const words = q.words ?? [];
  const outerParams: unknown[] = [physicianId];
  const where: string[] = [];
  let limit = '';
  if (words.length === 0) {
    if (q.after) {
      inner += ' having (max(a.exam_date), a.patient_id) < (?::timestamptz, ?::uuid)';
      innerParams.push(q.after.at, q.after.id);
    }
    inner += ' order by last_exam_at desc, a.patient_id desc';
    if (q.limit !== undefined) {
      inner += ' limit ?';
      innerParams.push(q.limit);
    }
  } else {
    where.push(NAME_FILTER_SQL);
    outerParams.push(...nameFilterParams(physicianId, words));
    if (q.after) {
      where.push('(v.last_exam_at, v.patient_id) < (?::timestamptz, ?::uuid)');
      outerParams.push(q.after.at, q.after.id);
    }
    if (q.limit !== undefined) {
      limit = ' limit ?';
      outerParams.push(q.limit);
    }
  }
  // The text depends on which parts the query has, never on their values: built once per shape,
  // the same string each time (no SQL built, no long key hashed, per request).
  const shape = `${q.patientIds ? 'i' : ''}${words.length ? 'w' : ''}${q.after ? 'a' : ''}${q.limit !== undefined ? 'l' : ''}`;
  let sql = summarySql.get(shape);
  if (sql === undefined) {
    sql = `select p.id, who.first_name as "firstName", who.last_name as "lastName", who.birth_name as "birthName",
            who.birth_date::text as "birthDate", who.sex,
            v.last_exam_at as "lastExamAt", v.last_exam_at::text as "lastExamAtText", v.has_unopened as "hasUnopened",
            (select e.title from ${VISIBLE_EXAMS_SQL} and e.patient_id = p.id order by e.date desc, e.id desc limit 1) as "lastExamTitle"
       from (${inner}) v
       cross join lateral (select * from patient p where p.id = v.patient_id offset 0) p
       ${IDENTITY_SQL}
      ${where.length ? `where ${where.join(' and ')}` : ''}
      order by v.last_exam_at desc, v.patient_id desc${limit}`;
    summarySql.set(shape, sql);
  }
  const rows = await db<PatientSummary>(sql, [...titleParams, ...innerParams, ...outerParams]);
  // The driver's rows are this call's own: converted in place rather than copied.
  for (const r of rows) r.lastExamAt = asDate(r.lastExamAt);
  return rows;
}

/** Runs a statement written with `?` placeholders and gives its rows. */
type Statements = <T extends object>(sql: string, params: unknown[]) => Promise<T[]>;

/** Through an EntityManager: inside its transaction, if it has one. */
const throughEm =
  (em: EntityManager): Statements =>
  (sql, params) =>
    em.execute(sql, params);

/** The connection pools' prepared statements, per ORM. */
const statementsByOrm = new WeakMap<object, PreparedStatements>();

/**
 * The dashboard's statement takes one of a few shapes (filtered or not, after a cursor or not):
 * each becomes a named statement, which PostgreSQL parses and plans once per connection, and
 * the values are bound rather than written into its text. Bounded: the shapes are the SQL
 * built in patientSummaries, whatever the values.
 */
const dashboardShapes = new Map<string, PreparedStatement>();

/** As named statements on the ORM's pool, outside any transaction: for a read on its own (the dashboard's page). */
export function onThePool(orm: { em: EntityManager }): Statements {
  let statements = statementsByOrm.get(orm);
  if (!statements) statementsByOrm.set(orm, (statements = new PreparedStatements(orm)));
  const pool = statements;
  return (sql, params) => {
    let statement = dashboardShapes.get(sql);
    if (!statement) {
      let n = 0;
      statement = { name: `patient_summaries_${dashboardShapes.size + 1}`, text: sql.replace(/\?/g, () => `$${++n}`) };
      dashboardShapes.set(sql, statement);
    }
    return pool.query(statement, params);
  };
}

/** The dashboard: one page of the physician's patients, newest visible exam first. */
export async function listVisiblePatients(
  db: Statements,
  viewer: Viewer,
  args: { name?: string | null; first?: number | null; after?: string | null },
): Promise<PatientPage> {
  const physicianId = requirePhysicianId(viewer);
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) throw badInput(`first must be between 1 and ${MAX_PAGE_SIZE}`, 'first');
  const words = filterWords(args.name);
  const after = args.after ? decodeCursor(args.after, isCursorAt) : undefined;
  const rows = await patientSummaries(db, physicianId, { words, after, limit: first + 1 });
  const nodes = rows.slice(0, first) as PatientPage['nodes'];
  for (const r of nodes) r.cursor = encodeCursor(r.lastExamAtText, r.id);
  return { nodes, hasNextPage: rows.length > first, endCursor: nodes.at(-1)?.cursor ?? null };
}

/** How many patients the dashboard would list with this filter (asked for separately: it scans them all). */
export async function countVisiblePatients(em: EntityManager, viewer: Viewer, name: string | null): Promise<number> {
  const physicianId = requirePhysicianId(viewer);
  const words = filterWords(name);
  const [row] = await em.execute<Array<{ n: number }>>(
    `select count(*)::int as n
       from (select distinct a.patient_id from ${VISIBLE_ACCESS_SQL}) v
       cross join lateral (select search_name from patient p where p.id = v.patient_id offset 0) p
      ${words.length ? `where ${NAME_FILTER_SQL}` : ''}`,
    words.length ? [physicianId, ...nameFilterParams(physicianId, words)] : [physicianId],
  );
  return row?.n ?? 0;
}

/** Summaries of patients by id, for loaders (notifications point at patients); invisible ones are absent. */
export async function visiblePatientSummaries(em: EntityManager, physicianId: string, patientIds: readonly string[]): Promise<PatientSummary[]> {
  if (patientIds.length === 0) return [];
  return patientSummaries(throughEm(em), physicianId, { patientIds });
}

/**
 * Opening a record: the patient if this physician may see them, null otherwise (absent and not
 * yours are the same answer). Each opening is traced.
 */
export async function openPatientRecord(em: EntityManager, viewer: Viewer, patientId: string, actor: AuditFields): Promise<PatientSummary | null> {
  const physician = requirePhysician(viewer);
  if (!isUuid(patientId)) return null;
  const [summary] = await patientSummaries(throughEm(em), physician.id, { patientIds: [patientId] });
  if (!summary) return null;
  await auditNow(em, 'RECORD_OPENED', { ...actor, patientId: summary.id, outcome: 'SUCCESS' });
  return summary;
}

/** One facility's administrative record of a patient, as stored, with that facility's identity. */
export interface RecordRow extends PatientRecordData {
  id: string;
  patientId: string;
  facilityId: string;
  receivedAt: Date;
  facilityName: string;
  facilityFiness: string;
}

/**
 * The administrative records of patients that this physician may see (VISIBLE_RECORD_SQL), newest
 * first. Only reached from a Patient object, which only exists for a patient the physician may
 * see (patientSummaries).
 */
export async function recordsOfPatients(em: EntityManager, physicianId: string, patientIds: readonly string[]): Promise<RecordRow[]> {
  if (patientIds.length === 0) return [];
  const rows = await em.execute<RecordRow[]>(
    `select r.id, r.patient_id as "patientId", r.facility_id as "facilityId", r.ipp, r.ins, r.last_name as "lastName",
            r.first_name as "firstName", r.birth_name as "birthName", r.birth_date::text as "birthDate", r.sex,
            r.address_line as "addressLine", r.postal_code as "postalCode", r.city, r.phone, r.received_at as "receivedAt",
            f.name as "facilityName", f.finess as "facilityFiness"
       from administrative_record r join facility f on f.id = r.facility_id
      where r.patient_id = any(?::uuid[]) and ${VISIBLE_RECORD_SQL}
      order by r.received_at desc, r.id`,
    [uuidArray(patientIds), physicianId],
  );
  return rows.map((r) => ({ ...r, receivedAt: asDate(r.receivedAt) }));
}
