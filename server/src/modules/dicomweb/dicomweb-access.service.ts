import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config.js';
import type { Viewer } from '../../graphql/context.js';
import { sessionTouch, touchSession, type SessionTouch } from '../auth/auth.service.js';
import { Role } from '../auth/user.entity.js';
import { forbidden, notFound, unauthenticated } from './dicomweb-error.js';
import type { PreparedStatements } from '../../infra/db/prepared-statements.js';

/**
 * Who may read which study through DICOMweb: the one place that decides it, used by every read
 * route (QIDO-RS, WADO-RS, WADO-URI, bulk data, the portal's PDF reader).
 *
 * - anonymous (and a revoked or unknown API key, which resolves to anonymous): 401;
 * - a physician: the studies referenced by one of their published exams (the exam's
 *   StudyInstanceUID or one of its documents'), through an exam_access row naming them;
 * - a share grant: its one study, while it has not expired;
 * - analysts, administrators and facility keys: 403 (facilities write, they never read back).
 * A study the caller may not read is answered exactly like one that does not exist (404).
 */
export type ReadScope = { kind: 'physician'; userId: string } | { kind: 'share'; studyInstanceUid: string | null };

/**
 * Who asks, for a DICOMweb read. The session cookie's token hash lets a statement check the
 * session itself (frames: in the frame lookup's own statement); `viewer()` runs the full
 * resolution (sessions, share grants, API keys, anonymous) for what that does not settle;
 * `scope()` is resolveReadScope. All memoised for the request.
 */
export interface Reader {
  sessionTokenHash: string | null;
  viewer(): Promise<Viewer>;
  scope(): Promise<ReadScope>;
  em(): EntityManager;
}

export interface ReadDeps {
  statements: PreparedStatements;
  config: Config;
}

/** A valid session as the DICOMweb statements return it (times as epoch milliseconds). */
export interface SessionRow {
  sessionId: string;
  lastSeenMs: number;
  absoluteExpiresMs: number;
  userId: string;
  role: Role;
}

/** The columns of SessionRow, over `session s join app_user u`. */
export const SESSION_ROW_COLUMNS = `s.id as "sessionId", (extract(epoch from s.last_seen_at) * 1000)::float8 as "lastSeenMs",
  (extract(epoch from s.absolute_expires_at) * 1000)::float8 as "absoluteExpiresMs", u.id as "userId", u.role`;

/**
 * Slides a valid session's idle expiry when it is due, exactly as resolveSession slides it for
 * any role, and returns what it wrote (null: nothing was due). `em` is asked for only then.
 */
export async function slideSession(config: Config, em: () => EntityManager, row: SessionRow, now: number): Promise<SessionTouch | null> {
  const touch = sessionTouch(config, { lastSeenAt: new Date(row.lastSeenMs), absoluteExpiresAt: new Date(row.absoluteExpiresMs) }, now);
  if (touch) await touchSession(em(), row.sessionId, touch);
  return touch;
}

/** What a valid session found by a DICOMweb statement may read, once its idle expiry slid. */
export async function scopeOfSession(deps: ReadDeps, reader: Reader, row: SessionRow, now: number): Promise<ReadScope> {
  await slideSession(deps.config, () => reader.em(), row, now);
  return userReadScope(row.role, row.userId);
}

/**
 * The read scope of a request, from the viewer chain (sessions, share grants, API keys,
 * anonymous) in its order, so the answer is the one every other route gives; the session is
 * found by auth's prepared statement and its idle expiry slides. Nothing is remembered between
 * requests: a logout or a revocation counts at once.
 */
export async function resolveReadScope(reader: Reader): Promise<ReadScope> {
  return readScopeOf(await reader.viewer());
}

export function readScopeOf(viewer: Viewer, now = new Date()): ReadScope {
  switch (viewer.kind) {
    case 'anonymous':
      throw unauthenticated();
    case 'facility':
      throw forbidden();
    case 'share':
      // Re-checked here on every request, whatever the grant's cookie says about itself.
      if (viewer.expiresAt.getTime() <= now.getTime()) throw unauthenticated();
      return { kind: 'share', studyInstanceUid: viewer.studyInstanceUid };
    case 'user':
      return userReadScope(viewer.user.role, viewer.user.id);
  }
}

/** A signed-in user reads as a physician or not at all (analysts and administrators never read images). */
export function userReadScope(role: Role, userId: string): ReadScope {
  if (role !== Role.PHYSICIAN) throw forbidden();
  return { kind: 'physician', userId };
}

/*
 * The physician's rule in two shapes, for the planner's sake (same rows, checked by the same
 * denial tests on every route): one study at a time, driven by its StudyInstanceUID (frames,
 * retrieve, series and instance queries), or every study of the physician, driven by their
 * exam_access rows (study search). The one-study shape over a whole table would scan every
 * study; the all-studies shape for one study would list all of the physician's.
 */

/**
 * SQL true when the physician `physician` (an expression: a placeholder or a column) may read
 * the study whose StudyInstanceUID is `column`: one of their published exams references it,
 * directly or through one of its documents. Two EXISTS rather than one with an OR inside, so
 * that each is an index lookup by StudyInstanceUID, however many exams the physician has.
 */
export function physicianReadsStudySql(physician: string, column: string): string {
  return `(exists (select 1 from exam e join exam_access a on a.exam_id = e.id
                    where e.study_instance_uid = ${column} and a.physician_id = ${physician} and e.status = 'PUBLISHED')
        or exists (select 1 from document d join exam e on e.id = d.exam_id join exam_access a on a.exam_id = e.id
                    where d.study_instance_uid = ${column} and a.physician_id = ${physician} and e.status = 'PUBLISHED'))`;
}

/** The StudyInstanceUIDs the physician `physician` may read (same rule), from their access rows. */
function physicianStudiesSql(physician: string): string {
  return `select e.study_instance_uid from exam e join exam_access a on a.exam_id = e.id
           where a.physician_id = ${physician} and e.status = 'PUBLISHED'
          union all
          select d.study_instance_uid from document d join exam e on e.id = d.exam_id join exam_access a on a.exam_id = e.id
           where a.physician_id = ${physician} and e.status = 'PUBLISHED'`;
}

/**
 * A SQL condition (with its bound parameters, `?` placeholders) true when `column`, a
 * StudyInstanceUID, may be read in this scope, for a search over many studies (QIDO-RS): what
 * may not be read is never even counted.
 */
export function readableStudiesCondition(scope: ReadScope, column: string): { sql: string; params: unknown[] } {
  if (scope.kind === 'share') {
    return scope.studyInstanceUid === null ? { sql: 'false', params: [] } : { sql: `${column} = ?`, params: [scope.studyInstanceUid] };
  }
  return { sql: `${column} in (${physicianStudiesSql('?')})`, params: [scope.userId, scope.userId] };
}

/**
 * The physician's rule for the user of a session found in the same statement (`session s join
 * app_user u`, see SESSION_ROW_COLUMNS), in either shape: what a QIDO-RS search checks when the
 * session and the search share one round trip. The role is checked on the returned session row
 * (scopeOfSession) before any match is used.
 */
export function sessionUserReadsCondition(column: string, shape: 'one study' | 'many studies'): { sql: string; params: unknown[] } {
  return { sql: shape === 'one study' ? physicianReadsStudySql('u.id', column) : `${column} in (${physicianStudiesSql('u.id')})`, params: [] };
}

/**
 * The same rule in its one-study shape (see above): a SQL condition true when `column`, the
 * StudyInstanceUID of the one study a query is about, may be read in this scope.
 */
export function readsOneStudyCondition(scope: ReadScope, column: string): { sql: string; params: unknown[] } {
  return scope.kind === 'share'
    ? { sql: `${column} = ?`, params: [scope.studyInstanceUid] }
    : { sql: physicianReadsStudySql('?', column), params: [scope.userId, scope.userId] };
}

/**
 * A query over one study (its series, instances or files) run only if the viewer may read it,
 * in one statement. `inner` selects from the study `st` (only `st.id` in scope), with `?`
 * placeholders, and must select a non-null `id`; `orderBy` orders its rows by their column
 * names (`r.<column>`). 401/403 by viewer kind; 404 when the study is
 * absent or not theirs (the same answer, so no route is an existence oracle); [] when the study
 * is readable but nothing in it matches.
 */
export async function queryReadableStudy<T extends { id: string | null }>(
  em: EntityManager,
  scope: ReadScope,
  studyInstanceUid: string,
  inner: { sql: string; params: unknown[]; orderBy: string },
): Promise<Array<T & { id: string }>> {
  const readable = readsOneStudyCondition(scope, 'st.study_instance_uid');
  const rows = await em.execute<T[]>(
    `select r.* from (select st.id from dicom_study st where st.study_instance_uid = ? and ${readable.sql}) st
       left join lateral (${inner.sql}) r on true
      order by ${inner.orderBy}`,
    [studyInstanceUid, ...readable.params, ...inner.params],
  );
  if (rows.length === 0) throw notFound();
  return rows.filter((r): r is T & { id: string } => r.id !== null);
}

/** STOW-RS: facility API keys only. */
export function authorizeStore(viewer: Viewer): { facilityId: string } {
  if (viewer.kind === 'anonymous') throw unauthenticated();
  if (viewer.kind !== 'facility') throw forbidden();
  return { facilityId: viewer.facility.id };
}
