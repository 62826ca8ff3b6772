import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { actorOf } from '../audit/audit.service.js';
import { facilityById, visibleExamsByPatient } from '../exam/exam.loaders.js';
import { Exam, Facility, toExam } from '../exam/exam.types.js';
import { recordsByPatient } from './patient.loaders.js';
import { countVisiblePatients, DEFAULT_PAGE_SIZE, listVisiblePatients, onThePool, openPatientRecord } from './patient.service.js';
import { AdministrativeRecord, Patient, PatientConnection, PatientFilter, toAdministrativeRecord, toPatient } from './patient.types.js';

@Resolver(() => Patient)
export class PatientResolver {
  @Query(() => PatientConnection, { description: 'The dashboard: my patients, newest visible exam first (physicians only)' })
  async patients(
    @Ctx() ctx: Context,
    @Arg('filter', () => PatientFilter, { nullable: true }) filter: PatientFilter | null,
    @Arg('first', () => Int, { defaultValue: DEFAULT_PAGE_SIZE }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<PatientConnection> {
    // On the pool's named statements: the page is one read, and the request forks no EntityManager.
    const page = await listVisiblePatients(onThePool(ctx.deps.orm), ctx.viewer, { name: filter?.name, first, after });
    return {
      edges: page.nodes.map((n) => ({ cursor: n.cursor, node: toPatient(n) })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
      filterName: filter?.name ?? null,
    };
  }

  @Query(() => Patient, { nullable: true, description: 'Opens a record (traced). Null when absent or not yours: the same answer.' })
  async patient(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<Patient | null> {
    const summary = await openPatientRecord(ctx.em, ctx.viewer, id, actorOf(ctx));
    return summary ? toPatient(summary) : null;
  }

  @FieldResolver(() => [AdministrativeRecord], { description: 'One per imaging centre whose exams I may see, as each sent it; never another centre’s (ADR 0097)' })
  async records(@Root() patient: Patient, @Ctx() ctx: Context): Promise<AdministrativeRecord[]> {
    return (await recordsByPatient(ctx).load(patient.id)).map(toAdministrativeRecord);
  }

  @FieldResolver(() => [Exam], { description: 'Only the exams for which this patient named me, newest first' })
  async exams(@Root() patient: Patient, @Ctx() ctx: Context): Promise<Exam[]> {
    return (await visibleExamsByPatient(ctx).load(patient.id)).map(toExam);
  }
}

@Resolver(() => PatientConnection)
export class PatientConnectionResolver {
  @FieldResolver(() => Int, { description: 'Counted only when asked for' })
  totalCount(@Root() connection: PatientConnection, @Ctx() ctx: Context): Promise<number> {
    return countVisiblePatients(ctx.em, ctx.viewer, connection.filterName);
  }
}

@Resolver(() => AdministrativeRecord)
export class AdministrativeRecordResolver {
  @FieldResolver(() => Facility)
  async facility(@Root() record: AdministrativeRecord, @Ctx() ctx: Context): Promise<Facility> {
    const facility = await facilityById(ctx).load(record.facilityId);
    if (!facility) throw new Error('Administrative record without its facility');
    return facility;
  }
}
