import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { forkEm } from '../../src/bootstrap.js';
import { nirKey } from '../../src/common/identifiers.js';
import { Role } from '../../src/modules/auth/user.entity.js';
import { errorCode, randomRpps, startTestServer, type GqlResult, type TestServer } from '../harness.js';
import { PUBLISH, createTestFacility, publishInput, storeStudy, writtenRows, type PublishedExamResult, type TestFacility } from './fixtures.js';

type Published = GqlResult<{ publishExam: PublishedExamResult }>;
/** publishInput's result, as far as these tests change it. */
type EditableInput = Record<string, unknown> & { documents: Array<Record<string, unknown>>; correspondentRpps: string[] };

/*
 * Imaging centres publish in parallel (several modalities, two facilities, a PACS retrying a
 * call that timed out): every publication succeeds, duplicates answer as the one exam, and the
 * rows add up. Before, concurrent publications could fail with INTERNAL_SERVER_ERROR.
 */
describe('publishExam under concurrency', () => {
  let t: TestServer;
  let nancy: TestFacility;
  let metz: TestFacility;
  const unexpected: string[] = [];

  beforeAll(async () => {
    // No mail worker: its polling would be counted with the statements of a publication.
    t = await startTestServer({}, { outbox: { start: false } });
    const error = t.deps.logger.error.bind(t.deps.logger);
    t.deps.logger.error = ((...args: Parameters<typeof error>) => {
      unexpected.push(JSON.stringify(args).slice(0, 500));
      return error(...args);
    }) as typeof t.deps.logger.error;
    nancy = await createTestFacility(t, "Centre d'imagerie de Nancy");
    metz = await createTestFacility(t, 'Imagerie de Metz');
  });
  afterAll(() => t?.stop());

  const sql = async <T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> =>
    forkEm(t.deps).getConnection().execute<T[]>(query, params);
  const count = async (query: string, params: unknown[] = []): Promise<number> => (await sql<{ n: number }>(`select count(*)::int as n from ${query}`, params))[0]!.n;

  function published(results: Published[]): PublishedExamResult[] {
    const failed = results.filter((r) => r.errors?.length);
    expect(failed.map((r) => r.errors)).toEqual([]);
    return results.map((r) => r.data!.publishExam);
  }

  it('20 distinct exams published at once all succeed, each with its patient, record, documents and right', async () => {
    const { userId, email } = await t.login(Role.PHYSICIAN);
    const { rpps } = (await sql<{ rpps: string }>(`select rpps from app_user where id = ?`, [userId]))[0]!;
    const studies = await Promise.all(Array.from({ length: 20 }, () => storeStudy(t, nancy.facility)));
    const before = await writtenRows(t);
    const exams = published(await Promise.all(studies.map((s, i) =>
      nancy.client.query<{ publishExam: PublishedExamResult }>(PUBLISH, { input: publishInput(s, rpps, { accessionNumber: `PAR-${i}`, patient: { ipp: `PAR-IPP-${i}` } }) }))));

    expect(new Set(exams.map((e) => e.id)).size).toBe(20);
    const after = await writtenRows(t);
    expect(after).toEqual({
      patient: before.patient! + 20,
      administrative_record: before.administrative_record! + 20,
      exam: before.exam! + 20,
      document: before.document! + 40,
      exam_access: before.exam_access! + 20,
      notification: before.notification! + 20,
      outbox_message: before.outbox_message! + 20,
      audit_exam_published: before.audit_exam_published! + 20,
    });
    expect(await count(`outbox_message where "to" = ?`, [email])).toBe(20);
  });

  it('the same exam sent 6 times at once (a PACS retrying) is one exam, notified once', async () => {
    const { userId, email } = await t.login(Role.PHYSICIAN);
    const { rpps } = (await sql<{ rpps: string }>(`select rpps from app_user where id = ?`, [userId]))[0]!;
    const input = publishInput(await storeStudy(t, nancy.facility), rpps, { accessionNumber: 'RETRY-1', correspondentRpps: [randomRpps()], patient: { ipp: 'RETRY-IPP' } });
    const before = await writtenRows(t);
    const exams = published(await Promise.all(Array.from({ length: 6 }, () => nancy.client.query<{ publishExam: PublishedExamResult }>(PUBLISH, { input }))));

    expect(new Set(exams.map((e) => e.id)).size).toBe(1);
    const after = await writtenRows(t);
    expect({ ...after, audit_exam_published: 0 }).toEqual({
      ...before,
      patient: before.patient! + 1,
      administrative_record: before.administrative_record! + 1,
      exam: before.exam! + 1,
      document: before.document! + 2,
      exam_access: before.exam_access! + 2,
      notification: before.notification! + 1,
      outbox_message: before.outbox_message! + 1,
      audit_exam_published: 0,
    });
    // Each call is a publication the facility made: each is traced.
    expect(after.audit_exam_published).toBe(before.audit_exam_published! + 6);
    expect(await count(`outbox_message where "to" = ?`, [email])).toBe(1);
  });

  it('one patient (same INS) published by two facilities at once, several exams each: one patient, one record per facility', async () => {
    const stem = `1${String(Math.floor(Math.random() * 1e12)).padStart(12, '0')}`;
    const ins = `${stem}${nirKey(stem)}`;
    const jobs = Array.from({ length: 8 }, async (_, i) => {
      const f = i % 2 === 0 ? nancy : metz;
      const study = await storeStudy(t, f.facility);
      return f.client.query<{ publishExam: PublishedExamResult }>(PUBLISH, { input: publishInput(study, randomRpps(), { accessionNumber: `INS-PAR-${i}`, patient: { ipp: `INS-PAR-${f === nancy ? 'NCY' : 'MTZ'}`, ins } }) });
    });
    const exams = published(await Promise.all(jobs));

    const patients = await sql<{ id: string }>(`select id from patient where ins = ?`, [ins]);
    expect(patients).toHaveLength(1);
    const examPatients = await sql<{ patient_id: string }>(`select distinct patient_id from exam where id in (select jsonb_array_elements_text(?::jsonb)::uuid)`, [JSON.stringify(exams.map((e) => e.id))]);
    expect(examPatients).toEqual([{ patient_id: patients[0]!.id }]);
    const records = await sql<{ facility_id: string; ipp: string }>(`select facility_id, ipp from administrative_record where patient_id = ? order by ipp`, [patients[0]!.id]);
    expect(records).toEqual([
      { facility_id: metz.facility.id, ipp: 'INS-PAR-MTZ' },
      { facility_id: nancy.facility.id, ipp: 'INS-PAR-NCY' },
    ]);
  });

  it('one patient (same IPP, no INS) with several exams published at once: one patient, one record', async () => {
    const exams = published(await Promise.all(Array.from({ length: 6 }, async (_, i) =>
      nancy.client.query<{ publishExam: PublishedExamResult }>(PUBLISH, { input: publishInput(await storeStudy(t, nancy.facility), randomRpps(), { accessionNumber: `IPP-PAR-${i}`, patient: { ipp: 'IPP-PAR' } }) }))));
    expect(await count(`administrative_record where facility_id = ? and ipp = 'IPP-PAR'`, [nancy.facility.id])).toBe(1);
    const examPatients = await sql(`select distinct patient_id from exam where id in (select jsonb_array_elements_text(?::jsonb)::uuid)`, [JSON.stringify(exams.map((e) => e.id))]);
    expect(examPatients).toHaveLength(1);
  });

  it('takes the same number of SQL statements for 1 document and 1 right as for 12 documents and 11 rights', async () => {
    const knex = t.deps.orm.em.getConnection().getKnex();
    /** The statements of the publishing transaction (BEGIN to COMMIT); the key lookup before it is the resolver's. */
    async function statements(input: Record<string, unknown>): Promise<number> {
      const seen: Array<{ tx: unknown; sql: string }> = [];
      const onQuery = (q: { __knexTxId?: unknown; sql: string }) => void seen.push({ tx: q.__knexTxId, sql: q.sql });
      knex.on('query', onQuery);
      try {
        published([await nancy.client.query<{ publishExam: PublishedExamResult }>(PUBLISH, { input })]);
      } finally {
        knex.off('query', onQuery);
      }
      const tx = seen.find((q) => q.sql.includes('pg_advisory_xact_lock'))?.tx;
      expect(tx).toBeDefined();
      return seen.filter((q) => q.tx === tx).length;
    }
    const small = await storeStudy(t, nancy.facility);
    const smallInput = publishInput(small, randomRpps(), { accessionNumber: 'COUNT-1', patient: { ipp: 'COUNT-1' } }) as EditableInput;
    smallInput.documents = smallInput.documents.slice(0, 1);
    const big = await Promise.all(Array.from({ length: 11 }, () => storeStudy(t, nancy.facility)));
    const bigInput = publishInput(big[0]!, randomRpps(), { accessionNumber: 'COUNT-2', correspondentRpps: Array.from({ length: 10 }, randomRpps), patient: { ipp: 'COUNT-2' } }) as EditableInput;
    for (const s of big.slice(1)) bigInput.documents.push({ type: 'IMAGING', title: 'Autre série', date: '2025-11-20T09:30:00.000Z', studyInstanceUid: s.studyInstanceUid });

    const one = await statements(smallInput);
    expect(await statements(bigInput)).toBe(one);
    // Re-publishing (updates, a dropped document and right) costs the same again.
    bigInput.documents.pop();
    bigInput.correspondentRpps.pop();
    expect(await statements(bigInput)).toBe(one);
    // BEGIN, locks, one read, physicians, patient and record, exam with documents and rights,
    // audit, COMMIT (no prescriber account here, so no notification statements).
    expect(one).toBe(8);
  });

  describe('transient database failures', () => {
    async function withInjectedFailure(sqlState: string, times: number, fn: () => Promise<void>): Promise<number> {
      const seq = `publish_fault_${sqlState.toLowerCase()}`;
      await sql(`create sequence ${seq}`);
      await sql(`create function ${seq}() returns trigger language plpgsql as $$
        begin if nextval('${seq}') <= ${times} then raise exception 'injected' using errcode = '${sqlState}'; end if; return null; end $$`);
      await sql(`create trigger ${seq} after insert on exam for each statement execute function ${seq}()`);
      try {
        await fn();
      } finally {
        await sql(`drop trigger ${seq} on exam`);
        await sql(`drop function ${seq}()`);
      }
      const [row] = await sql<{ n: string }>(`select last_value as n from ${seq}`);
      await sql(`drop sequence ${seq}`);
      return Number(row?.n);
    }

    it('a deadlock while writing the exam is retried: the publication succeeds, written once', async () => {
      const before = await writtenRows(t);
      const calls = await withInjectedFailure('40P01', 1, async () => {
        published([await nancy.client.query<{ publishExam: PublishedExamResult }>(PUBLISH, { input: publishInput(await storeStudy(t, nancy.facility), randomRpps(), { accessionNumber: 'DEADLOCK-1', patient: { ipp: 'DEADLOCK-IPP' } }) })]);
      });
      expect(calls).toBe(2);
      const after = await writtenRows(t);
      expect(after.exam).toBe(before.exam! + 1);
      expect(after.patient).toBe(before.patient! + 1);
      expect(after.audit_exam_published).toBe(before.audit_exam_published! + 1);
    });

    it('a failure that persists is retried a bounded number of times, then answers an internal error and writes nothing', async () => {
      const study = await storeStudy(t, nancy.facility);
      const before = await writtenRows(t);
      const calls = await withInjectedFailure('40001', 100, async () => {
        const r = await nancy.client.query<{ publishExam: PublishedExamResult }>(PUBLISH, { input: publishInput(study, randomRpps(), { accessionNumber: 'SERIAL-1', patient: { ipp: 'SERIAL-IPP' } }) });
        expect(errorCode(r)).toBe('INTERNAL_SERVER_ERROR');
      });
      expect(calls).toBe(3);
      expect(await writtenRows(t)).toEqual(before);
      expect(unexpected).toHaveLength(1);
      unexpected.length = 0;
    });

    it('a failure that is not transient is not retried', async () => {
      const study = await storeStudy(t, nancy.facility);
      const before = await writtenRows(t);
      const calls = await withInjectedFailure('P0001', 100, async () => {
        const r = await nancy.client.query<{ publishExam: PublishedExamResult }>(PUBLISH, { input: publishInput(study, randomRpps(), { accessionNumber: 'RAISE-1', patient: { ipp: 'RAISE-IPP' } }) });
        expect(errorCode(r)).toBe('INTERNAL_SERVER_ERROR');
      });
      expect(unexpected).toHaveLength(1);
      unexpected.length = 0;
      expect(calls).toBe(1);
      expect(await writtenRows(t)).toEqual(before);
    });
  });

  afterEach(() => {
    // Publishing logs nothing unexpected, except where a test injected a failure and said so.
    expect(unexpected).toEqual([]);
  });
});
