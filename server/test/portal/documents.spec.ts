import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { DocumentType, type Document, type Exam } from '../../src/modules/exam/exam.entity.js';
import type { Facility } from '../../src/modules/facility/facility.entity.js';
import { Factory } from '../factories.js';
import { errorCode, startTestServer, type GqlClient, type TestServer } from '../harness.js';

const OPENED = `mutation($id: ID!) { markDocumentOpened(documentId: $id) { id type exam { id opened } } }`;

describe('documents: the report PDF route and opening traces (guide §5.2)', () => {
  let t: TestServer;
  let f: Factory;
  let a: { client: GqlClient; userId: string };
  let b: { client: GqlClient; userId: string };
  let analyst: GqlClient;
  let facility: Facility;
  let exam: Exam;
  let report: Document;
  let imaging: Document;
  let pdf: Buffer;
  let patientId: string;

  const reportUrl = (id: string) => `/api/documents/${id}/report.pdf`;
  const traces = async (documentId: string) =>
    t.deps.orm.em.fork().getConnection().execute<Array<{ action: string; actor_user_id: string; patient_id: string; exam_id: string; ip: string | null }>>(
      `select action, actor_user_id, patient_id, exam_id, ip from audit_event where document_id = ? order by at`,
      [documentId],
    );

  beforeAll(async () => {
    t = await startTestServer();
    f = new Factory(t.deps);
    [a, b] = await Promise.all([t.login(Role.PHYSICIAN), t.login(Role.PHYSICIAN)]);
    analyst = (await t.login(Role.ANALYST)).client;
    facility = await f.facility();
    const patient = await f.patient({ firstName: 'Hélène', lastName: 'Dupont-Moreau', records: [{ facility }] });
    patientId = patient.id;
    const made = await f.exam({ patient, facility, access: [{ physicianId: a.userId }], documents: [{ type: DocumentType.REPORT }, { type: DocumentType.IMAGING }] });
    exam = made.exam;
    [report, imaging] = made.documents as [Document, Document];
    pdf = await f.storeReportPdf(report, exam, facility);
  });
  afterAll(() => t?.stop());

  it('streams the report inline as application/pdf, never cached, and traces the opening', async () => {
    const res = await a.client.fetch(reportUrl(report.id));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toMatch(/^inline/);
    expect(res.headers.get('content-disposition')).not.toMatch(/Dupont|Hélène/);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(body.equals(pdf)).toBe(true);
    const rows = await traces(report.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'REPORT_OPENED', actor_user_id: a.userId, patient_id: patientId, exam_id: exam.id });
    expect(rows[0]!.ip).toBeTruthy();
  });

  it('refuses anonymous callers with 401, analysts with 403, another physician with the 404 of a missing document', async () => {
    const anonymous = await t.client().fetch(reportUrl(report.id));
    expect(anonymous.status).toBe(401);
    expect((await analyst.fetch(reportUrl(report.id))).status).toBe(403);
    const other = await b.client.fetch(reportUrl(report.id));
    const missing = await b.client.fetch(reportUrl('00000000-0000-4000-8000-000000000000'));
    const garbage = await b.client.fetch(reportUrl('..%2F..%2Fetc'));
    expect(other.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(garbage.status).toBe(404);
    const [o, m] = await Promise.all([other.text(), missing.text()]);
    expect(o).toBe(m);
    expect(other.headers.get('content-type')).toBe(missing.headers.get('content-type'));
    expect((await traces(report.id)).filter((r) => r.actor_user_id !== a.userId)).toEqual([]);
  });

  it('an imaging document has no PDF (404)', async () => {
    expect((await a.client.fetch(reportUrl(imaging.id))).status).toBe(404);
  });

  it('opening the images marks the exam opened and traces it; the dashboard mark goes away', async () => {
    const fresh = await f.exam({ patient: { id: patientId }, facility, access: [{ physicianId: a.userId }], documents: [{ type: DocumentType.IMAGING }] });
    const doc = fresh.documents[0]!;
    const before = await a.client.mustQuery(`{ patients { edges { node { id hasUnopened } } } }`);
    expect(before.patients.edges[0].node.hasUnopened).toBe(true);
    const r = await a.client.mustQuery(OPENED, { id: doc.id });
    expect(r.markDocumentOpened).toMatchObject({ id: doc.id, type: 'IMAGING', exam: { id: fresh.exam.id, opened: true } });
    expect((await traces(doc.id)).map((x) => x.action)).toEqual(['IMAGING_OPENED']);
    const after = await a.client.mustQuery(`{ patients { edges { node { id hasUnopened } } } }`);
    expect(after.patients.edges[0].node.hasUnopened).toBe(false);
  });

  it('markDocumentOpened refuses what the caller may not read, and changes nothing', async () => {
    expect(errorCode(await b.client.query(OPENED, { id: imaging.id }))).toBe('NOT_FOUND');
    expect(errorCode(await b.client.query(OPENED, { id: 'nope' }))).toBe('NOT_FOUND');
    expect(errorCode(await analyst.query(OPENED, { id: imaging.id }))).toBe('FORBIDDEN');
    expect(errorCode(await t.client().query(OPENED, { id: imaging.id }))).toBe('UNAUTHENTICATED');
    expect(await traces(imaging.id)).toEqual([]);
  });
});
