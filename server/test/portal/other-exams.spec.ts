import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { DocumentType, ExamRole, ExamStatus, type Exam } from '../../src/modules/exam/exam.entity.js';
import { Factory } from '../factories.js';
import { errorCode, startTestServer, type GqlClient, type TestServer } from '../harness.js';

const OTHER_EXAMS = `query($id: ID!) { exam(id: $id) { id otherExams { id title date modalities studyInstanceUid } } }`;
const VIA_DOCUMENT = `query($id: ID!) { document(id: $id) { exam { otherExams { id } } } }`;

/**
 * The viewer's « Examens antérieurs » (issue 19): the patient's other exams, as the patient
 * record shows them to this physician — those the patient named them for, published.
 */
describe('Exam.otherExams: the same patient’s other exams I may see', () => {
  let t: TestServer;
  let a: { client: GqlClient; userId: string };
  let b: { client: GqlClient; userId: string };
  let current: Exam;
  let currentDocumentId: string;
  let prior: Exam;
  let older: Exam;
  let notMine: Exam;
  let withdrawn: Exam;
  let otherPatients: Exam;

  beforeAll(async () => {
    t = await startTestServer();
    const f = new Factory(t.deps);
    [a, b] = await Promise.all([t.login(Role.PHYSICIAN), t.login(Role.PHYSICIAN)]);
    const [nancy, metz] = await Promise.all([f.facility({ name: 'Centre Nancy' }), f.facility({ name: 'Clinique Metz' })]);
    const helene = await f.patient({ firstName: 'Hélène', lastName: 'Dupont-Moreau', records: [{ facility: nancy }, { facility: metz }] });
    const jean = await f.patient({ firstName: 'Jean', lastName: 'Martin', records: [{ facility: nancy }] });
    const made = await f.exam({
      patient: helene, facility: nancy, title: 'SCANNER THORACIQUE', date: new Date('2025-06-01T09:00:00Z'),
      access: [{ physicianId: a.userId }], documents: [{ type: DocumentType.IMAGING }],
    });
    current = made.exam;
    currentDocumentId = (made.documents[0] as { id: string }).id;
    // Another centre, A named as correspondent: still the patient's, still A's to see.
    prior = (await f.exam({ patient: helene, facility: metz, title: 'SCANNER THORACIQUE', date: new Date('2024-06-01T09:00:00Z'), access: [{ physicianId: a.userId, role: ExamRole.CORRESPONDENT }], documents: [{ type: DocumentType.IMAGING }] })).exam;
    older = (await f.exam({ patient: helene, facility: nancy, title: 'RADIOGRAPHIE DU THORAX', date: new Date('2023-01-01T09:00:00Z'), access: [{ physicianId: a.userId }] })).exam;
    // The same patient's exams A may not see: named for B only, or withdrawn.
    notMine = (await f.exam({ patient: helene, facility: metz, title: 'IRM CEREBRALE', date: new Date('2025-01-01T09:00:00Z'), access: [{ physicianId: b.userId }], documents: [{ type: DocumentType.IMAGING }] })).exam;
    withdrawn = (await f.exam({ patient: helene, facility: nancy, title: 'ECHOGRAPHIE', date: new Date('2025-02-01T09:00:00Z'), access: [{ physicianId: a.userId }], status: ExamStatus.WITHDRAWN })).exam;
    otherPatients = (await f.exam({ patient: jean, facility: nancy, date: new Date('2025-03-01T09:00:00Z'), access: [{ physicianId: a.userId }] })).exam;
  });
  afterAll(() => t?.stop());

  it('lists the patient’s other exams I may see, newest first, without the exam itself', async () => {
    const r = await a.client.mustQuery(OTHER_EXAMS, { id: current.id });
    expect(r.exam.otherExams.map((e: { id: string }) => e.id)).toEqual([prior.id, older.id]);
    expect(r.exam.otherExams[0]).toMatchObject({ title: 'SCANNER THORACIQUE', date: '2024-06-01T09:00:00.000Z' });
    const viaDocument = await a.client.mustQuery(VIA_DOCUMENT, { id: currentDocumentId });
    expect(viaDocument.document.exam.otherExams.map((e: { id: string }) => e.id)).toEqual([prior.id, older.id]);
  });

  it('denial: the patient’s exams named for another physician, withdrawn ones and other patients’ are absent', async () => {
    const ids = (await a.client.mustQuery(OTHER_EXAMS, { id: prior.id })).exam.otherExams.map((e: { id: string }) => e.id);
    expect(ids).toEqual([current.id, older.id]);
    for (const absent of [notMine.id, withdrawn.id, otherPatients.id]) expect(ids).not.toContain(absent);
    // B sees the patient's exam named for them, and none of A's through it.
    expect((await b.client.mustQuery(OTHER_EXAMS, { id: notMine.id })).exam.otherExams).toEqual([]);
    // An exam one may not see gives no way in to its patient's others.
    expect((await b.client.mustQuery(OTHER_EXAMS, { id: current.id })).exam).toBeNull();
  });

  it('denial: analysts and anonymous callers are refused', async () => {
    const analyst = (await t.login(Role.ANALYST)).client;
    expect(errorCode(await analyst.query(OTHER_EXAMS, { id: current.id }))).toBe('FORBIDDEN');
    expect(errorCode(await t.client().query(OTHER_EXAMS, { id: current.id }))).toBe('UNAUTHENTICATED');
  });
});
