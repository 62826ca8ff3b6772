import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkEm } from '../../src/bootstrap.js';
import { Role } from '../../src/modules/auth/user.entity.js';
import { DocumentType, ExamRole, type Document } from '../../src/modules/exam/exam.entity.js';
import type { Patient } from '../../src/modules/patient/patient.entity.js';
import { Sex } from '../../src/modules/patient/patient.entity.js';
import { Factory } from '../factories.js';
import { startTestServer, type GqlClient, type TestServer } from '../harness.js';
import { SHARED, openLink, shareOf } from '../share/helpers.js';

const DASHBOARD = `query($name: String) {
  patients(filter: { name: $name }, first: 25) {
    edges { node { id displayName firstName lastName birthName birthDate sex lastExamAt lastExamTitle hasUnopened } }
    totalCount
  }
}`;
const RECORD = `query($id: ID!) {
  patient(id: $id) {
    id displayName firstName lastName birthName birthDate sex lastExamAt hasUnopened
    records { facility { name finess } ipp ins lastName firstName birthName birthDate sex addressLine postalCode city phone receivedAt }
    exams { title facility { name } }
  }
}`;
const NOTIFICATIONS = `{ notifications(first: 20) { edges { node { patient { displayName birthDate records { ipp } } } } } }`;

/**
 * Issue 17 finding 7: one person known to two imaging centres (matched on the INS). Nancy sent
 * Hélène Dupont-Moreau to physician A; Metz, later, sent her under her new married name, with
 * another birth date on file, another address and phone, to physician B only. A visit to a centre
 * is health data: A must learn nothing from Metz — not its record, not the name, birth date or sex
 * it sent, not a date; and Metz's name must not make the patient findable by A.
 */
describe('a physician sees the administrative records of the centres whose exams they may see, and nothing of the others (DESIGN: Patient.records)', () => {
  let t: TestServer;
  let f: Factory;
  let a: { client: GqlClient; userId: string };
  let b: { client: GqlClient; userId: string };
  let helene: Patient;
  let nancyReport: Document;
  let nancyExamId: string;
  const METZ_SECRETS = ['Kessler', 'METZ-IPP-7731', 'place Stanislas', '57000', 'Metz', '03 87 11 22 33', '1961-04-12', 'IRM PELVIENNE', '2024-06-01'];

  beforeAll(async () => {
    t = await startTestServer();
    f = new Factory(t.deps);
    [a, b] = await Promise.all([t.login(Role.PHYSICIAN), t.login(Role.PHYSICIAN)]);
    const nancy = await f.facility({ name: 'Centre Nancy' });
    const metz = await f.facility({ name: 'Clinique Metz' });
    // The patient row mirrors the newest record received (Metz's): what leaked before.
    helene = await f.patient({
      firstName: 'Hélène', lastName: 'Kessler', birthName: 'Moreau', birthDate: '1961-04-12', sex: Sex.F,
      records: [
        { facility: nancy, ipp: 'NANCY-IPP-12', lastName: 'Dupont-Moreau', birthDate: '1961-04-02', addressLine: '12 rue Saint-Dizier', postalCode: '54000', city: 'Nancy', phone: '03 83 00 00 01', receivedAt: new Date('2024-03-01T10:00:00Z') },
        { facility: metz, ipp: 'METZ-IPP-7731', lastName: 'Kessler', birthDate: '1961-04-12', addressLine: '3 place Stanislas', postalCode: '57000', city: 'Metz', phone: '03 87 11 22 33', receivedAt: new Date('2024-06-01T10:00:00Z') },
      ],
    });
    const nancyExam = await f.exam({
      patient: helene, facility: nancy, title: 'ECHOGRAPHIE CERVICALE', date: new Date('2024-03-01T09:00:00Z'),
      access: [{ physicianId: a.userId, role: ExamRole.CORRESPONDENT, firstOpenedAt: new Date('2024-03-02T09:00:00Z') }],
      documents: [{ type: DocumentType.REPORT }],
    });
    nancyReport = nancyExam.documents[0]!;
    nancyExamId = nancyExam.exam.id;
    // Metz's exam is newer and not yet opened by anyone: neither its date nor its "new" mark may reach A.
    await f.exam({ patient: helene, facility: metz, title: 'IRM PELVIENNE', date: new Date('2024-06-01T09:00:00Z'), access: [{ physicianId: b.userId }] });
    // B also has an exam of another patient at Nancy: a right at a centre opens that centre's records of that patient only.
    await f.exam({ patient: await f.patient({ records: [{ facility: nancy }] }), facility: nancy, access: [{ physicianId: b.userId }] });
  });
  afterAll(() => t?.stop());

  it('the record lists only the centre of my exams, and its identity is that centre’s', async () => {
    const r = await a.client.mustQuery(RECORD, { id: helene.id });
    expect(r.patient.records).toHaveLength(1);
    expect(r.patient.records[0]).toMatchObject({ facility: { name: 'Centre Nancy' }, ipp: 'NANCY-IPP-12', lastName: 'Dupont-Moreau', birthDate: '1961-04-02', city: 'Nancy' });
    expect(r.patient).toMatchObject({ displayName: 'Hélène Dupont-Moreau', lastName: 'Dupont-Moreau', birthDate: '1961-04-02', sex: 'F', lastExamAt: '2024-03-01T09:00:00.000Z', hasUnopened: false });
    const seen = JSON.stringify(r);
    for (const secret of METZ_SECRETS) expect(seen).not.toContain(secret);
  });

  it('the physician of the other centre sees that centre’s record and identity, and nothing of mine', async () => {
    const r = await b.client.mustQuery(RECORD, { id: helene.id });
    expect(r.patient.records.map((x: { ipp: string }) => x.ipp)).toEqual(['METZ-IPP-7731']);
    expect(r.patient).toMatchObject({ displayName: 'Hélène Kessler', birthDate: '1961-04-12', hasUnopened: true });
    const seen = JSON.stringify(r);
    for (const secret of ['NANCY-IPP-12', 'Dupont-Moreau', 'Saint-Dizier', '03 83 00 00 01', 'ECHOGRAPHIE']) expect(seen).not.toContain(secret);
  });

  it('the dashboard shows my centre’s identity, my last exam and my unopened state only', async () => {
    const r = await a.client.mustQuery(DASHBOARD);
    expect(r.patients.edges.map((e: { node: unknown }) => e.node)).toEqual([
      {
        id: helene.id, displayName: 'Hélène Dupont-Moreau', firstName: 'Hélène', lastName: 'Dupont-Moreau', birthName: 'Moreau', birthDate: '1961-04-02', sex: 'F',
        lastExamAt: '2024-03-01T09:00:00.000Z', lastExamTitle: 'ECHOGRAPHIE CERVICALE', hasUnopened: false,
      },
    ]);
  });

  it('a name known only from the other centre’s record does not find the patient; my centre’s names do', async () => {
    const found = async (client: GqlClient, name: string) => {
      const r = await client.mustQuery(DASHBOARD, { name });
      return { ids: r.patients.edges.map((e: { node: { id: string } }) => e.node.id), total: r.patients.totalCount };
    };
    expect(await found(a.client, 'kessler')).toEqual({ ids: [], total: 0 });
    expect(await found(a.client, 'hélène kess')).toEqual({ ids: [], total: 0 });
    expect(await found(a.client, 'dupont')).toEqual({ ids: [helene.id], total: 1 });
    expect(await found(a.client, 'moreau helene')).toEqual({ ids: [helene.id], total: 1 });
    expect(await found(b.client, 'kessler')).toEqual({ ids: [helene.id], total: 1 });
    expect(await found(b.client, 'dupont')).toEqual({ ids: [], total: 0 });
  });

  it('a notification’s patient is the same restricted patient', async () => {
    await forkEm(t.deps).execute(`insert into notification (id, recipient_id, exam_id, kind, created_at) values (gen_random_uuid(), ?, ?, 'EXAM_AVAILABLE', now())`, [a.userId, nancyExamId]);
    const r = await a.client.mustQuery(NOTIFICATIONS);
    expect(r.notifications.edges.map((e: { node: unknown }) => e.node)).toEqual([{ patient: { displayName: 'Hélène Dupont-Moreau', birthDate: '1961-04-02', records: [{ ipp: 'NANCY-IPP-12' }] } }]);
    for (const secret of METZ_SECRETS) expect(JSON.stringify(r)).not.toContain(secret);
  });

  it('a share recipient sees the identity the shared exam’s centre sent, nothing from another centre', async () => {
    const { client } = await openLink(t, await shareOf(t, nancyReport.id, a.userId));
    const r = await client.mustQuery(SHARED);
    expect(r.sharedDocument).toMatchObject({ patientDisplayName: 'Hélène Dupont-Moreau', patientBirthDate: '1961-04-02', patientSex: 'F' });
    const seen = JSON.stringify(r);
    for (const secret of METZ_SECRETS) expect(seen).not.toContain(secret);
  });
});
