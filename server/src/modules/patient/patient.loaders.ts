import DataLoader from 'dataloader';
import { perRequest } from '../../graphql/context.js';
import { primeFacilities } from '../exam/exam.loaders.js';
import { requirePhysician } from '../exam/exam.service.js';
import { recordsOfPatients, visiblePatientSummaries, type PatientSummary, type RecordRow } from './patient.service.js';

/** Patient.records: the records of each patient this physician may see (one query per page). */
export const recordsByPatient = perRequest(
  (ctx) =>
    new DataLoader<string, RecordRow[]>(async (patientIds) => {
      const physician = requirePhysician(ctx.viewer);
      const rows = await recordsOfPatients(ctx.em, physician.id, patientIds);
      primeFacilities(ctx, rows);
      return patientIds.map((id) => rows.filter((r) => r.patientId === id));
    }),
);

/**
 * A patient by id as this physician may see them, or null: for edges that point at a patient
 * (a notification's patient) without re-implementing the visibility rule.
 */
export const visiblePatientById = perRequest(
  (ctx) =>
    new DataLoader<string, PatientSummary | null>(async (patientIds) => {
      const physician = requirePhysician(ctx.viewer);
      const rows = new Map((await visiblePatientSummaries(ctx.em, physician.id, patientIds)).map((r) => [r.id, r]));
      return patientIds.map((id) => rows.get(id) ?? null);
    }),
);
