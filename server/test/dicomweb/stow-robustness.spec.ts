/**
 * What PACS really send: the malformed corpus (each file fails alone or is a documented
 * acceptance, never a 500 nor half an instance), and one chunked body of tens of megabytes mixing
 * several studies, closed without a final line break.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkEm } from '../../src/bootstrap.js';
import { startTestServer, type TestServer } from '../harness.js';
import { corpusDir, facilityWithKey, filesUnder, newUid, readCorpus, stow, stowBody, stowResult, syntheticInstance, type TestFacilityKey } from './support.js';

/** docs/adr/0020-dicomweb-server.md: the answer to each malformed file (FailureReason, or stored). */
const MALFORMED: Record<string, number | 'stored'> = {
  'pydicom_ExplVR_BigEndNoMeta.dcm': 0xc000, // no preamble, no file meta: not PS3.10
  'pydicom_ExplVR_LitEndNoMeta.dcm': 0xc000,
  'pydicom_J2K_pixelrep_mismatch.dcm': 'stored', // pixel semantics are the viewer's concern
  'pydicom_JPEG2000-embedded-sequence-delimiter.dcm': 'stored', // fragments are read by length
  'pydicom_MR_small_padded.dcm': 'stored', // trailing padding is legal
  'pydicom_MR_truncated.dcm': 0xc000,
  'pydicom_UN_sequence.dcm': 0xa900, // no StudyInstanceUID
  'pydicom_badVR.dcm': 0xc000, // NumberOfFrames "1A"
  'pydicom_chrSQEncoding.dcm': 0xa900,
  'pydicom_empty_charset_LEI.dcm': 0xa900, // no SOPClassUID
  'pydicom_meta_missing_tsyntax.dcm': 0xc000,
  'pydicom_no_meta.dcm': 0xc000,
  'pydicom_no_meta_group_length.dcm': 0xa900,
  'pydicom_palette_hotiron.dcm': 0x0122, // a colour palette is not a patient object
  'pydicom_rtdose_rle.dcm': 'stored', // UN-tagged UIDs are still readable (PS3.5 6.2.2)
  'pydicom_rtplan_truncated.dcm': 0xc000,
  'pydicom_rtstruct_no_meta.dcm': 0xc000,
};

describe('STOW-RS robustness', () => {
  let t: TestServer;
  let centre: TestFacilityKey;
  beforeAll(async () => {
    t = await startTestServer();
    centre = await facilityWithKey(t);
  });
  afterAll(() => t?.stop());

  it('every malformed corpus file gets its documented answer and leaves nothing half-stored', async () => {
    const files = readdirSync(path.join(corpusDir, 'malformed')).sort();
    expect(files).toEqual(Object.keys(MALFORMED).sort());
    const em = forkEm(t.deps);
    for (const file of files) {
      const expected = MALFORMED[file];
      const before = { files: filesUnder(t.storageDir).length, rows: await em.execute<{ n: number }[]>('select count(*)::int as n from dicom_instance') };
      const { status, json } = await stow(t, centre.key, [readCorpus(`malformed/${file}`)]);
      const result = stowResult(json);
      const after = { files: filesUnder(t.storageDir).length, rows: await em.execute<{ n: number }[]>('select count(*)::int as n from dicom_instance') };
      if (expected === 'stored') {
        expect([file, status, result.stored.length]).toEqual([file, 200, 1]);
        expect(after.files).toBe(before.files + 1);
        expect(after.rows[0]?.n).toBe((before.rows[0]?.n ?? 0) + 1);
      } else {
        expect([file, status, result.failed.map((f) => f.reason)]).toEqual([file, 409, [expected]]);
        expect(result.failed[0]?.comment).not.toBe('');
        expect(after.files).toBe(before.files);
        expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
      }
    }
    // Study and series rows only exist for what was stored.
    const [orphans] = await em.execute<{ n: number }[]>(
      `select count(*)::int as n from dicom_series se where not exists (select 1 from dicom_instance i where i.series_id = se.id)`,
    );
    expect(orphans?.n).toBe(0);
  });

  it('parses a chunked 60 MB body of several studies with no line break after the closing boundary', async () => {
    const studies = [newUid(), newUid(), newUid()];
    const instances = await Promise.all(
      Array.from({ length: 30 }, (_, i) => syntheticInstance({ study: studies[i % 3]!, frames: 4, rows: 512, columns: 512 })),
    );
    const { body, contentType } = stowBody(instances.map((i) => i.data), { closingCrlf: false });
    expect(body.length).toBeGreaterThan(60_000_000);
    expect(body.subarray(-2).toString('latin1')).toBe('--');
    // Sent in uneven chunks, as a socket delivers them, with no Content-Length.
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0, n = 0; at < body.length; n++) {
          const size = [1, 7, 65_536, 1_000_003][n % 4]!;
          controller.enqueue(body.subarray(at, at + size));
          at += size;
        }
        controller.close();
      },
    });
    const res = await fetch(`${t.url}/dicomweb/studies`, {
      method: 'POST',
      headers: { authorization: `Bearer ${centre.key}`, 'content-type': contentType },
      body: chunked,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(200);
    const json = (await res.json()) as Record<string, any>;
    expect(stowResult(json).stored.sort()).toEqual(instances.map((i) => i.sopInstanceUid).sort());
    expect(json['00081190']).toBeUndefined(); // several studies: no single study RetrieveURL
    const [row] = await forkEm(t.deps).execute<{ n: number }[]>(
      `select count(distinct st.id)::int as n from dicom_study st where st.study_instance_uid in (?, ?, ?)`,
      studies,
    );
    expect(row?.n).toBe(3);
  });

  it('refuses a body or an instance over the configured limits with 413', async () => {
    const small = await startTestServer({ MAX_STOW_BODY_BYTES: '200000', MAX_INSTANCE_BYTES: '100000' });
    try {
      const key = (await facilityWithKey(small)).key;
      const big = await syntheticInstance({ study: newUid(), rows: 256, columns: 256 });
      expect((await stow(small, key, [big.data])).status).toBe(413);
      const parts = await Promise.all([1, 2, 3].map(() => syntheticInstance({ study: newUid(), rows: 256, columns: 190 })));
      expect((await stow(small, key, parts.map((p) => p.data))).status).toBe(413);
      expect(filesUnder(small.storageDir).length).toBeLessThan(3);
    } finally {
      await small.stop();
    }
  });
});
