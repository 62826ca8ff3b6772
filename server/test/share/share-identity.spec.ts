import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkEm } from '../../src/bootstrap.js';
import { Role } from '../../src/modules/auth/user.entity.js';
import { DocumentType } from '../../src/modules/exam/exam.entity.js';
import { Sex } from '../../src/modules/patient/patient.entity.js';
import { corpusEntry, facilityWithKey, readCorpus, splitMultipart, stow, stowResult } from '../dicomweb/support.js';
import { Factory } from '../factories.js';
import { startTestServer, type GqlClient, type TestServer } from '../harness.js';
import { SHARED, openLink, shareOf } from './helpers.js';

const CT = corpusEntry('pydicom/CT_small.dcm');

/**
 * Issue 17 finding 8, decided in ADR 0098: a share recipient is a trusted third party (guide
 * §5.3) who must know whose images they read. The grant gets the patient's identity as the exam's
 * centre sent it, and the centre's DICOM files unmodified — the identity and identifiers inside
 * them included, byte for byte, as a DICOMweb client expects.
 */
describe('what a share recipient receives (ADR 0098)', () => {
  let t: TestServer;
  let recipient: GqlClient;
  let sharer: GqlClient;
  let sharerId: string;
  let examId: string;

  beforeAll(async () => {
    t = await startTestServer();
    const f = new Factory(t.deps);
    const centre = await facilityWithKey(t, 'Centre Nancy');
    const stored = await stow(t, centre.key, [readCorpus(CT.file)]);
    expect(stowResult(stored.json).stored).toEqual([CT.sopInstanceUid]);
    const a = await t.login(Role.PHYSICIAN, { firstName: 'Claire', lastName: 'Martin' });
    sharer = a.client;
    sharerId = a.userId;
    const patient = await f.patient({
      firstName: 'Hélène', lastName: 'Dupont-Moreau', birthDate: '1961-04-23', sex: Sex.F,
      records: [{ facility: centre.facility, ipp: 'IPP-NANCY-4411', addressLine: '12 rue Saint-Dizier', phone: '03 83 00 00 01' }],
    });
    const { exam, documents } = await f.exam({
      patient, facility: centre.facility, studyInstanceUid: CT.studyInstanceUid, title: 'SCANNER THORACIQUE',
      access: [{ physicianId: a.userId }], documents: [{ type: DocumentType.IMAGING }],
    });
    examId = exam.id;
    const token = await shareOf(t, documents[0]!.id, a.userId);
    await forkEm(t.deps).execute(`update share set comment = ? where creator_id = ?`, ['Avis sur la lésion apicale, merci', a.userId]);
    recipient = (await openLink(t, token)).client;
  });
  afterAll(() => t?.stop());

  it('the share page’s data: whose exam it is (name, birth date, sex), and no identifier, address or phone', async () => {
    const r = await recipient.mustQuery(SHARED);
    expect(r.sharedDocument).toMatchObject({ patientDisplayName: 'Hélène Dupont-Moreau', patientBirthDate: '1961-04-23', patientSex: 'F', examTitle: 'SCANNER THORACIQUE' });
    const seen = JSON.stringify(r);
    for (const withheld of ['IPP-NANCY-4411', 'Saint-Dizier', '03 83 00 00 01']) expect(seen).not.toContain(withheld);
  });

  it('the share page’s data: who shared and their comment (issue 19 finding 8)', async () => {
    const r = await recipient.mustQuery(`{ sharedDocument { sharedBy comment } }`);
    expect(r.sharedDocument).toEqual({ sharedBy: 'Dr Claire Martin', comment: 'Avis sur la lésion apicale, merci' });
  });

  it('the images: the centre’s DICOM file byte for byte, with the patient’s name and identifier inside', async () => {
    const url = `/dicomweb/studies/${CT.studyInstanceUid}/series/${CT.seriesInstanceUid}/instances/${CT.sopInstanceUid}`;
    const res = await recipient.fetch(url, { headers: { accept: 'multipart/related; type="application/dicom"' } });
    expect(res.status).toBe(200);
    const parts = splitMultipart(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type') ?? '');
    expect(parts).toHaveLength(1);
    expect(parts[0]!.body.equals(readCorpus(CT.file))).toBe(true);

    const metadata = await recipient.fetch(`/dicomweb/studies/${CT.studyInstanceUid}/metadata`, { headers: { accept: 'application/dicom+json' } });
    expect(metadata.status).toBe(200);
    const [instance] = (await metadata.json()) as Array<Record<string, { Value?: unknown[] }>>;
    expect(instance?.['00100010']?.Value).toEqual([{ Alphabetic: CT.patientName }]);
    expect(instance?.['00100020']?.Value).toEqual([CT.patientId]);
  });

  it('« Mes partages » names the patient to the sharer while they may see the exam, and no longer once their access is gone', async () => {
    const MINE = `{ myShares(first: 10) { edges { node { patientDisplayName document { title } } } } }`;
    const before = await sharer.mustQuery(MINE);
    expect(before.myShares.edges.map((e: { node: unknown }) => e.node)).toEqual([{ patientDisplayName: 'Hélène Dupont-Moreau', document: expect.anything() }]);
    await forkEm(t.deps).execute(`delete from exam_access where exam_id = ? and physician_id = ?`, [examId, sharerId]);
    const after = await sharer.mustQuery(MINE);
    expect(after.myShares.edges.map((e: { node: { patientDisplayName: unknown } }) => e.node.patientDisplayName)).toEqual([null]);
  });
});
