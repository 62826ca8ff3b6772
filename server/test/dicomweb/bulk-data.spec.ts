/**
 * Bulk data other than pixels: the BulkDataURIs of the metadata, at the top level and inside a
 * sequence, answer the bytes the file holds there (STOW indexes their ranges once:
 * dicomweb-paths.ts bulkDataRanges). The corpus's 12-lead ECG keeps its waveform samples
 * (5400,1010) in the first item of its Waveform Sequence (5400,0100).
 */
import dicomParser from 'dicom-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { startTestServer, type TestServer } from '../harness.js';
import { corpusEntry, facilityWithKey, grantStudy, readCorpus, splitMultipart, stow, stowResult } from './support.js';

describe('DICOMweb bulk data inside a sequence', () => {
  let t: TestServer;
  let cookie: string;
  const ecg = corpusEntry('pydicom/waveform_ecg.dcm');
  const file = readCorpus(ecg.file);

  beforeAll(async () => {
    t = await startTestServer();
    const centre = await facilityWithKey(t);
    expect(stowResult((await stow(t, centre.key, [file])).json).stored).toEqual([ecg.sopInstanceUid]);
    const login = await t.login(Role.PHYSICIAN);
    await grantStudy(t, login.userId, centre.facility, ecg.studyInstanceUid);
    cookie = login.client.cookieHeader();
  });
  afterAll(() => t?.stop());

  it('answers the waveform samples of the sequence item at its BulkDataURI, byte for byte', async () => {
    const base = `/dicomweb/studies/${ecg.studyInstanceUid}/series/${ecg.seriesInstanceUid}/instances/${ecg.sopInstanceUid}`;
    const [metadata] = (await (await fetch(`${t.url}${base}/metadata`, { headers: { accept: 'application/dicom+json', cookie } })).json()) as Array<Record<string, { Value?: Array<Record<string, { BulkDataURI?: string }>> }>>;
    const uri = metadata!['54000100']!.Value![0]!['54001010']!.BulkDataURI!;
    expect(uri).toBe(`${t.deps.config.publicUrl}/dicomweb/${base.slice('/dicomweb/'.length)}/bulkdata/54000100/0/54001010`);

    const res = await fetch(`${t.url}${base}/bulkdata/54000100/0/54001010`, { headers: { accept: 'multipart/related; type="application/octet-stream"', cookie } });
    expect(res.status).toBe(200);
    const [part] = splitMultipart(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type')!);
    const dataSet = dicomParser.parseDicom(new Uint8Array(file.buffer, file.byteOffset, file.length));
    const samples = dataSet.elements.x54000100!.items![0]!.dataSet!.elements.x54001010!;
    expect(samples.length).toBeGreaterThan(1024);
    expect(part!.body.equals(file.subarray(samples.dataOffset, samples.dataOffset + samples.length))).toBe(true);
  });
});
