/**
 * Migration20261205171000_DicomDates: studies indexed before DA/TM were normalised (ACR-NEMA
 * `1997.04.24`, `14:04:38`) are rewritten so QIDO ranges match them; junk becomes empty.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkEm } from '../../src/bootstrap.js';
import { Migration20261205171000_DicomDates } from '../../src/infra/db/migrations/Migration20261205171000_DicomDates.js';
import { startTestServer, type TestServer } from '../harness.js';
import { facilityWithKey, newUid } from './support.js';

describe('DICOM dates migration', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t?.stop());

  it('rewrites old-style dates and times and empties what is no date', async () => {
    const { facility } = await facilityWithKey(t);
    const em = forkEm(t.deps);
    const rows: Array<[string, string | null, string | null, string | null]> = [
      [newUid(), '1997.04.24', '14:04:38', '1950.02.03'],
      [newUid(), '20040119', '072730.5', '19500203'],
      [newUid(), 'yesterday', '7h', null],
    ];
    for (const [uid, date, time, birth] of rows) {
      await em.getConnection().execute(
        `insert into dicom_study (id, study_instance_uid, facility_id, study_date, study_time, patient_birth_date, modalities, created_at)
         values (gen_random_uuid(), ?, ?, ?, ?, ?, '{}', now())`,
        [uid, facility.id, date, time, birth],
      );
    }
    const migration = new Migration20261205171000_DicomDates(t.deps.orm.em.getDriver(), t.deps.orm.config);
    await migration.up();
    for (const query of migration.getQueries()) await em.getConnection().execute(String(query));
    const after = await em.getConnection().execute<Array<{ study_date: string | null; study_time: string | null; patient_birth_date: string | null }>>(
      `select study_date, study_time, patient_birth_date from dicom_study where study_instance_uid = any(?::text[]) order by array_position(?::text[], study_instance_uid)`,
      [`{${rows.map((r) => r[0]).join(',')}}`, `{${rows.map((r) => r[0]).join(',')}}`],
    );
    expect(after).toEqual([
      { study_date: '19970424', study_time: '140438', patient_birth_date: '19500203' },
      { study_date: '20040119', study_time: '072730.5', patient_birth_date: '19500203' },
      { study_date: null, study_time: null, patient_birth_date: null },
    ]);
  });
});
