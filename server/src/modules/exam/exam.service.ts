import type { EntityManager } from '@mikro-orm/postgresql';
import { forbidden, unauthenticated } from '../../common/errors.js';
import { isUuid } from '../../common/ids.js';
import type { Viewer } from '../../graphql/context.js';
import { Role, type User } from '../auth/user.entity.js';
import type { ExamRole } from './exam.entity.js';

/**
 * Patient data is for physicians only: anonymous callers must log in, everyone else (analysts,
 * administrators, facility keys, share links) is refused outright, before any lookup, so the
 * answer never depends on whether the id exists.
 */
export function requirePhysician(viewer: Viewer): User {
  if (viewer.kind === 'anonymous') throw unauthenticated();
  if (viewer.kind !== 'user' || viewer.user.role !== Role.PHYSICIAN) throw forbidden();
  return viewer.user;
}

/** requirePhysician's rule, for a read that needs the physician's id only: no entity is made. */
export function requirePhysicianId(viewer: Viewer): string {
  if (viewer.kind === 'anonymous') throw unauthenticated();
  if (viewer.kind !== 'user' || viewer.caller.role !== Role.PHYSICIAN) throw forbidden();
  return viewer.caller.userId;
}

/**
 * THE visibility rule for exams, as SQL: a physician sees a published exam iff an exam_access
 * row names them on it. Every query that returns exams, patients or documents to a physician
 * goes through this fragment (alias `e` for exam, `a` for access, bound to the physician id).
 */
export const VISIBLE_EXAMS_SQL = `exam e join exam_access a on a.exam_id = e.id and a.physician_id = ? where e.status = 'PUBLISHED'`;

/**
 * The same rule read from `exam_access` alone (alias `a`, bound to the physician id): the exam's
 * patient, date and published state are copied there by triggers (migration 014000), so the
 * dashboard groups a physician's rights by patient with one index-only scan.
 */
export const VISIBLE_ACCESS_SQL = `exam_access a where a.physician_id = ? and a.exam_published`;

export interface VisibleExamRow {
  id: string;
  patientId: string;
  facilityId: string;
  title: string;
  date: Date;
  modalities: string[];
  studyInstanceUid: string | null;
  myRole: ExamRole;
  opened: boolean;
  facilityName: string;
  facilityFiness: string;
}

/** Raw queries return timestamps as PostgreSQL prints them (the driver's type parsers are MikroORM's). */
export function asDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}

/** Postgres array literal of already-validated uuids, bound as one parameter. */
export function uuidArray(ids: readonly string[]): string {
  return `{${ids.filter(isUuid).join(',')}}`;
}

/**
 * The exams of some patients (or some exams by id) that this physician may see, newest first.
 * A physician named twice on one exam (prescriber and correspondent) gets one row, as prescriber.
 */
export async function visibleExams(em: EntityManager, physicianId: string, by: { patientIds: readonly string[] } | { examIds: readonly string[] }): Promise<VisibleExamRow[]> {
  const [column, ids] = 'patientIds' in by ? ['e.patient_id', by.patientIds] : ['e.id', by.examIds];
  if (ids.length === 0) return [];
  const rows = await em.execute<VisibleExamRow[]>(
    `select v.*, f.name as "facilityName", f.finess as "facilityFiness"
       from (select e.id, e.patient_id as "patientId", e.facility_id as "facilityId", e.title, e.date, e.modalities,
                    e.study_instance_uid as "studyInstanceUid",
                    max(a.role) as "myRole", -- PRESCRIBER sorts after CORRESPONDENT: the stronger role wins
                    bool_or(a.first_opened_at is not null) as opened
               from ${VISIBLE_EXAMS_SQL} and ${column} = any(?::uuid[])
              group by e.id) v
       join facility f on f.id = v."facilityId"
      order by v.date desc, v.id desc`,
    [physicianId, uuidArray(ids)],
  );
  return rows.map((r) => ({ ...r, date: asDate(r.date) }));
}

/** One exam if this physician may see it; null otherwise (absent and not yours look the same). */
export async function findVisibleExam(em: EntityManager, viewer: Viewer, examId: string): Promise<VisibleExamRow | null> {
  const physician = requirePhysician(viewer);
  if (!isUuid(examId)) return null;
  const [row] = await visibleExams(em, physician.id, { examIds: [examId] });
  return row ?? null;
}

/** "Not yet opened" ends the first time the physician opens one of the exam's documents. */
export async function markExamOpened(em: EntityManager, physicianId: string, examId: string): Promise<void> {
  await em.execute(
    `update exam_access set first_opened_at = now() where exam_id = ? and physician_id = ? and first_opened_at is null`,
    [examId, physicianId],
  );
}

