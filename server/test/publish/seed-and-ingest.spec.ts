import { copyFile, mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkEm } from '../../src/bootstrap.js';
import { Role } from '../../src/modules/auth/user.entity.js';
import { ingest } from '../../src/modules/demo/ingest.js';
import { DEMO_PASSWORD, demoAccounts, seedDemoExams } from '../../src/modules/demo/seed.js';
import { buildDemoDataset } from '../../src/modules/demo/generator/index.js';
import { repoRoot } from '../../src/config.js';
import { randomRpps, startTestServer, type TestServer } from '../harness.js';
import { createTestFacility, writtenRows } from './fixtures.js';

/** The charset files carry no StudyDate: the operator gives the exam's date. */
const DATE = '2024-05-17T09:30:00Z';
const CHARSET_DIR = path.join(repoRoot, '..', 'shared', 'corpus', 'files', 'pydicom', 'charset');

describe('demo seed and ingest (a real client: STOW-RS then publishExam over HTTP)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t?.stop());

  const sql = async <T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> =>
    forkEm(t.deps).getConnection().execute<T[]>(query, params);

  async function everything(): Promise<Record<string, number>> {
    const rows = await writtenRows(t);
    for (const table of ['app_user', 'facility', 'api_key', 'dicom_study', 'dicom_series', 'dicom_instance']) {
      const [row] = await sql<{ n: number }>(`select count(*)::int as n from ${table}`);
      rows[table] = row!.n;
    }
    return rows;
  }

  it('publishes the demo world once; running it again changes nothing and fails nowhere', async () => {
    const dataset = buildDemoDataset();
    const first = await seedDemoExams(t.deps, t.url);
    expect(first).toMatchObject({ published: dataset.exams.length, skipped: 0, instancesFailed: 0 });
    const instances = dataset.exams.reduce((n, e) => n + e.documents.reduce((m, d) => m + d.instanceCount, 0), 0);
    expect(first.instancesStored).toBe(instances);

    expect(await sql(`select count(*)::int as n from exam`)).toEqual([{ n: dataset.exams.length }]);
    expect(await sql(`select count(*)::int as n from patient`)).toEqual([{ n: dataset.patients.length }]);
    // The CT of at least 64 slices 512×512 and the ultrasound cine went through STOW-RS.
    const [ct] = await sql<{ n: number; rows: number; columns: number }>(
      `select count(*)::int as n, min(rows) as rows, min(columns) as columns from dicom_instance i join dicom_series s on s.id = i.series_id where s.modality = 'CT' group by s.id order by n desc limit 1`,
    );
    expect(ct!.n).toBeGreaterThanOrEqual(64);
    expect([ct!.rows, ct!.columns]).toEqual([512, 512]);
    expect(await sql(`select count(*)::int as n from dicom_instance i join dicom_series s on s.id = i.series_id where s.modality = 'US' and i.number_of_frames > 1`)).not.toEqual([{ n: 0 }]);
    // Hélène Dupont-Moreau, known by INS at two facilities, is one patient with two records.
    const [helene] = await sql<{ id: string; records: number }>(
      `select p.id, (select count(*)::int from administrative_record r where r.patient_id = p.id) as records from patient p where p.search_name = 'helene dupont moreau'`,
    );
    expect(helene!.records).toBe(2);
    // The seeding keys existed for the run only.
    expect(await sql(`select count(*)::int as n from api_key where revoked_at is null`)).toEqual([{ n: 0 }]);

    const before = await everything();
    const second = await seedDemoExams(t.deps, t.url);
    expect(second).toMatchObject({ published: 0, skipped: dataset.exams.length, instancesStored: 0 });
    expect(await everything()).toEqual(before);
  });

  it('the demo logins see the exams published for their RPPS; a physician without account keeps pending rights', async () => {
    const claire = demoAccounts().find((a) => a.email === 'claire.martin@demo.e-mage.fr')!;
    expect(claire.password).toBe(DEMO_PASSWORD);
    const granted = await sql<{ n: number }>(
      `select count(*)::int as n from exam_access a join app_user u on u.id = a.physician_id where u.email = ? and a.rpps = ?`,
      [claire.email, claire.rpps],
    );
    expect(granted[0]!.n).toBeGreaterThan(3);
    expect(demoAccounts().filter((a) => a.role === Role.PHYSICIAN).map((a) => a.email)).toEqual(
      expect.arrayContaining(['claire.martin@demo.e-mage.fr', 'paul.lambert@demo.e-mage.fr']),
    );
    const paul = await sql<{ n: number }>(`select count(*)::int as n from exam_access a join app_user u on u.id = a.physician_id where u.email = 'paul.lambert@demo.e-mage.fr'`);
    expect(paul[0]!.n).toBeGreaterThan(0);
    expect(await sql(`select count(*)::int as n from exam_access where physician_id is null`)).not.toEqual([{ n: 0 }]);
  });

  it('ingests corpus files with their accented names decoded, skipping what is not DICOM', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'emage-ingest-'));
    try {
      await mkdir(path.join(dir, 'nested'));
      await copyFile(path.join(CHARSET_DIR, 'chrFren.dcm'), path.join(dir, 'chrFren.dcm'));
      await copyFile(path.join(CHARSET_DIR, 'chrGerm.dcm'), path.join(dir, 'nested', 'chrGerm.dcm'));
      await writeFile(path.join(dir, 'notes.txt'), 'pas un fichier DICOM');
      const facility = await createTestFacility(t, 'Centre ingest');
      const prescriber = randomRpps();
      const lines: string[] = [];
      const report = await ingest([dir], { serverUrl: t.url, facilityKey: facility.key, prescriberRpps: prescriber, correspondentRpps: [], date: DATE, log: (l) => lines.push(l) });
      const results = report.studies;

      expect(results).toHaveLength(2);
      expect(results.every((r) => r.status === 'PUBLISHED' && r.stored === 1 && r.failed === 0)).toBe(true);
      // A file that is no DICOM at all is skipped, not a failure.
      expect(lines.some((l) => l.startsWith('skipped') && l.includes('notes.txt'))).toBe(true);
      expect(report.ok).toBe(true);

      const records = await sql<{ last_name: string; first_name: string; ipp: string; search_name: string }>(
        `select r.last_name, r.first_name, r.ipp, p.search_name from administrative_record r join patient p on p.id = r.patient_id where r.facility_id = ? order by r.ipp`,
        [facility.facility.id],
      );
      expect(records).toEqual([
        { last_name: 'Buc', first_name: 'Jérôme', ipp: 'SCSFREN', search_name: 'jerome buc' },
        { last_name: 'Äneas', first_name: 'Rüdiger', ipp: 'SCSGERM', search_name: 'rudiger aneas' },
      ]);
      const rights = await sql(`select distinct a.rpps, a.role from exam_access a join exam e on e.id = a.exam_id where e.facility_id = ?`, [facility.facility.id]);
      expect(rights).toEqual([{ rpps: prescriber, role: 'PRESCRIBER' }]);

      // Ingesting the same files again publishes the same exams: no duplicate.
      const again = (await ingest([dir], { serverUrl: t.url, facilityKey: facility.key, prescriberRpps: prescriber, correspondentRpps: [], date: DATE, title: 'IRM', log: () => undefined })).studies;
      expect(again.map((r) => r.examId).sort()).toEqual(results.map((r) => r.examId).sort());
      expect(await sql(`select distinct title from exam where facility_id = ?`, [facility.facility.id])).toEqual([{ title: 'IRM' }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an ingest with a revoked or wrong key stores and publishes nothing', async () => {
    const before = await everything();
    const report = await ingest([path.join(CHARSET_DIR, 'chrFren.dcm')], {
      serverUrl: t.url, facilityKey: 'emk_not-a-real-key', prescriberRpps: randomRpps(), correspondentRpps: [], date: DATE, log: () => undefined,
    });
    expect(report.studies).toEqual([expect.objectContaining({ status: 'STORE_FAILED', stored: 0 })]);
    expect(report.ok).toBe(false);
    expect(await everything()).toEqual(before);
  });
});
