import DataLoader from 'dataloader';
import { perRequest, type Context } from '../../graphql/context.js';
import { Facility as FacilityEntity } from '../facility/facility.entity.js';
import { documentsOfExams, type DocumentRow } from './document.service.js';
import { requirePhysician, visibleExams, type VisibleExamRow } from './exam.service.js';
import type { Facility } from './exam.types.js';

function groupBy<T>(rows: T[], keyOf: (row: T) => string, keys: readonly string[]): T[][] {
  const map = new Map<string, T[]>(keys.map((k) => [k, []]));
  for (const row of rows) map.get(keyOf(row))?.push(row);
  return keys.map((k) => map.get(k) ?? []);
}

/** Facilities that came with rows already read (exams, records): Exam.facility then costs no query. */
export function primeFacilities(ctx: Context, rows: ReadonlyArray<{ facilityId: string; facilityName: string; facilityFiness: string }>): void {
  const loader = facilityById(ctx);
  for (const r of rows) loader.prime(r.facilityId, { id: r.facilityId, name: r.facilityName, finess: r.facilityFiness });
}

/** Patient.exams: the exams of each patient this physician may see, newest first (one query per page). */
export const visibleExamsByPatient = perRequest(
  (ctx) =>
    new DataLoader<string, VisibleExamRow[]>(async (patientIds) => {
      const physician = requirePhysician(ctx.viewer);
      const rows = await visibleExams(ctx.em, physician.id, { patientIds });
      primeFacilities(ctx, rows);
      return groupBy(rows, (r) => r.patientId, patientIds);
    }),
);

/** Document.exam and exam(id): an exam by id if this physician may see it. */
export const visibleExamById = perRequest(
  (ctx) =>
    new DataLoader<string, VisibleExamRow | null>(async (examIds) => {
      const physician = requirePhysician(ctx.viewer);
      const found = await visibleExams(ctx.em, physician.id, { examIds });
      primeFacilities(ctx, found);
      const rows = new Map(found.map((r) => [r.id, r]));
      return examIds.map((id) => rows.get(id) ?? null);
    }),
);

/** Exam.documents, for exams already known to be visible. */
export const documentsByExam = perRequest(
  (ctx) => new DataLoader<string, DocumentRow[]>(async (examIds) => groupBy(await documentsOfExams(ctx.em, examIds), (d) => d.examId, examIds)),
);

/** Exam.facility and AdministrativeRecord.facility: a facility's public identity (name, FINESS). */
export const facilityById = perRequest(
  (ctx) =>
    new DataLoader<string, Facility | null>(async (ids) => {
      const rows = await ctx.em.find(FacilityEntity, { id: { $in: [...ids] } }, { fields: ['id', 'name', 'finess'] });
      const byId = new Map(rows.map((f) => [f.id, { id: f.id, name: f.name, finess: f.finess }]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
);
