/**
 * STOW-RS indexes the instances of a request in batches while the next parts arrive
 * (docs/adr/0138-stow-batches.md). What each instance gets must be what one by one in the order
 * of the parts would give: of two parts with one SOPInstanceUID the first is kept, whether they
 * fall in one batch or two; a series claimed by two studies in one batch is refused for the
 * second; a batch whose statement fails or finds the database otherwise than its lookup is
 * redone instance by instance, each failing or succeeding alone.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkEm } from '../../src/bootstrap.js';
import { startTestServer, type TestServer } from '../harness.js';
import { facilityWithKey, filesUnder, newUid, stow, stowResult, syntheticInstance, type TestFacilityKey } from './support.js';

/** A small native instance (16×16, pixels random, so two instances with one UID differ) and its SHA-256. */
async function instance(o: { study: string; series: string; sop?: string; modality?: string }): Promise<{ sop: string; data: Buffer; sha256: string }> {
  const { sopInstanceUid, data } = await syntheticInstance({ ...o, rows: 16, columns: 16 });
  return { sop: sopInstanceUid, data, sha256: createHash('sha256').update(data).digest('hex') };
}

describe('STOW-RS batches answer as one by one', () => {
  let t: TestServer;
  let centre: TestFacilityKey;
  beforeAll(async () => {
    t = await startTestServer();
    centre = await facilityWithKey(t);
  });
  afterAll(() => t?.stop());

  const rows = async (study: string): Promise<Map<string, string>> => {
    const found = await forkEm(t.deps).execute<Array<{ sop: string; sha256: string }>>(
      `select i.sop_instance_uid as sop, i.sha256 from dicom_instance i join dicom_series se on se.id = i.series_id join dicom_study st on st.id = se.study_id
        where st.study_instance_uid = ?`,
      [study],
    );
    return new Map(found.map((r) => [r.sop, r.sha256]));
  };

  it('of two parts with one SOPInstanceUID the first is kept, in one batch, across two, at their boundary', async () => {
    const study = newUid();
    const series = newUid();
    const parts = await Promise.all(Array.from({ length: 40 }, () => instance({ study, series })));
    // Second copies (other bytes, same UIDs) of parts 1, 5 and 15, sent at 3, 20 and 16.
    for (const [first, again] of [[1, 3], [5, 20], [15, 16]] as const) parts[again] = await instance({ study, series, sop: parts[first]!.sop });
    const filesBefore = filesUnder(t.storageDir).length;

    const { status, json } = await stow(t, centre.key, parts.map((p) => p.data));
    expect(status).toBe(200);
    // Every part answered, in the order of the parts, the second copies as stored.
    expect(stowResult(json).stored).toEqual(parts.map((p) => p.sop));
    const held = await rows(study);
    expect(held.size).toBe(37);
    for (const [i, p] of parts.entries()) {
      if ([3, 20, 16].includes(i)) continue;
      expect([i, held.get(p.sop)]).toEqual([i, p.sha256]);
    }
    expect(filesUnder(t.storageDir).length).toBe(filesBefore + 37);
    expect(filesUnder(path.join(t.storageDir, '.staging'))).toEqual([]);
  });

  it('a series or an instance claimed by two studies in one request is refused for the later part', async () => {
    const [studyA, studyB, series] = [newUid(), newUid(), newUid()];
    const a = await instance({ study: studyA, series });
    const b = await instance({ study: studyB, series });
    const aElsewhere = await instance({ study: studyB, series: newUid(), sop: a.sop });
    const c = await instance({ study: studyA, series, modality: 'MR' });
    const { status, json } = await stow(t, centre.key, [a.data, b.data, aElsewhere.data, c.data]);
    expect(status).toBe(202);
    const result = stowResult(json);
    expect(result.stored).toEqual([a.sop, c.sop]);
    expect(result.failed).toEqual([
      { uid: b.sop, reason: 0xa900, comment: 'This SeriesInstanceUID is already held in another study' },
      { uid: a.sop, reason: 0xa900, comment: 'This SOPInstanceUID is already held in another study or series' },
    ]);
    expect([...(await rows(studyA)).keys()].sort()).toEqual([a.sop, c.sop].sort());
    expect((await rows(studyB)).size).toBe(0);
    const em = forkEm(t.deps);
    // Study B was never created (its only instances were refused); A has both modalities, sorted.
    const studies = await em.execute<Array<{ uid: string; modalities: string[] }>>(
      `select study_instance_uid as uid, modalities from dicom_study where study_instance_uid in (?, ?)`,
      [studyA, studyB],
    );
    expect(studies).toEqual([{ uid: studyA, modalities: ['CT', 'MR'] }]);
  });

  it('a batch whose statement fails is redone one by one: only the instance that fails is refused', async () => {
    const study = newUid();
    const series = newUid();
    const parts = await Promise.all(Array.from({ length: 6 }, () => instance({ study, series })));
    const victim = parts[2]!;
    const em = forkEm(t.deps);
    await em.execute(`create function stow_batch_fail() returns trigger language plpgsql as $$ begin raise exception 'disk full'; end $$`);
    await em.execute(`create trigger stow_batch_fail before insert on dicom_instance for each row when (new.sop_instance_uid = '${victim.sop}') execute function stow_batch_fail()`);
    try {
      const filesBefore = filesUnder(t.storageDir).length;
      const { status, json } = await stow(t, centre.key, parts.map((p) => p.data));
      expect(status).toBe(202);
      const result = stowResult(json);
      expect(result.stored).toEqual(parts.filter((p) => p !== victim).map((p) => p.sop));
      expect(result.failed).toEqual([{ uid: victim.sop, reason: 0x0110, comment: 'The instance could not be indexed' }]);
      expect((await rows(study)).size).toBe(5);
      expect(filesUnder(t.storageDir).length).toBe(filesBefore + 5);
    } finally {
      await em.execute(`drop trigger stow_batch_fail on dicom_instance; drop function stow_batch_fail()`);
    }
  });

  it('a series upsert that finds what the lookup did not (a concurrent store) rolls the batch back; one by one, its instances fail alone', async () => {
    const study = newUid();
    const [kept, refused] = [newUid(), newUid()];
    const parts = await Promise.all([instance({ study, series: kept }), instance({ study, series: refused }), instance({ study, series: kept })]);
    const em = forkEm(t.deps);
    // The series row is silently not written, as when another study took it after the lookup.
    await em.execute(`create function stow_series_taken() returns trigger language plpgsql as $$ begin return null; end $$`);
    await em.execute(`create trigger stow_series_taken before insert on dicom_series for each row when (new.series_instance_uid = '${refused}') execute function stow_series_taken()`);
    try {
      const filesBefore = filesUnder(t.storageDir).length;
      const { status, json } = await stow(t, centre.key, parts.map((p) => p.data));
      expect(status).toBe(202);
      const result = stowResult(json);
      expect(result.stored).toEqual([parts[0]!.sop, parts[2]!.sop]);
      expect(result.failed).toEqual([{ uid: parts[1]!.sop, reason: 0xa900, comment: 'This SeriesInstanceUID is already held in another study' }]);
      expect([...(await rows(study)).keys()].sort()).toEqual([parts[0]!.sop, parts[2]!.sop].sort());
      expect(filesUnder(t.storageDir).length).toBe(filesBefore + 2);
      expect(filesUnder(path.join(t.storageDir, '.staging'))).toEqual([]);
    } finally {
      await em.execute(`drop trigger stow_series_taken on dicom_series; drop function stow_series_taken()`);
    }
  });
});
