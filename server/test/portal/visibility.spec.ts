import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { DocumentType, ExamRole, ExamStatus, type Document, type Exam } from '../../src/modules/exam/exam.entity.js';
import type { Facility } from '../../src/modules/facility/facility.entity.js';
import type { Patient } from '../../src/modules/patient/patient.entity.js';
import { Factory } from '../factories.js';
import { errorCode, startTestServer, type GqlClient, type TestServer } from '../harness.js';

const DASHBOARD = `query($name: String, $first: Int, $after: String) {
  patients(filter: { name: $name }, first: $first, after: $after) {
    edges { cursor node { id displayName birthName birthDate sex lastExamAt lastExamTitle hasUnopened } }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}`;
const RECORD = `query($id: ID!) {
  patient(id: $id) {
    id displayName lastExamAt
    records { facility { id name finess } ipp lastName firstName birthName birthDate sex addressLine postalCode city phone receivedAt }
    exams { id title date myRole opened facility { name } documents { id type title reportUrl studyInstanceUid } }
  }
}`;
const EXAM = `query($id: ID!) { exam(id: $id) { id title documents { id } } }`;
const DOCUMENT = `query($id: ID!) { document(id: $id) { id title type exam { id } } }`;

interface Node { id: string; displayName: string; lastExamAt: string; lastExamTitle: string; hasUnopened: boolean }
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const names = (r: Record<string, any>): string[] => (r.patients.edges as Array<{ node: Node }>).map((e) => e.node.displayName);

describe('the physician portal shows a physician their patients and nothing else (guide §3, §5)', () => {
  let t: TestServer;
  let f: Factory;
  let a: { client: GqlClient; userId: string; email: string };
  let b: { client: GqlClient; userId: string };
  let analyst: GqlClient;
  let admin: GqlClient;
  let f1: Facility;
  let f2: Facility;
  let helene: Patient;
  let jean: Patient;
  let zoe: Patient;
  let withdrawn: Patient;
  let heleneExamOfA: Exam;
  let heleneExamOfB: { exam: Exam; documents: Document[] };
  let zoeExam: { exam: Exam; documents: Document[] };

  beforeAll(async () => {
    t = await startTestServer();
    f = new Factory(t.deps);
    [a, b] = await Promise.all([t.login(Role.PHYSICIAN), t.login(Role.PHYSICIAN)]);
    analyst = (await t.login(Role.ANALYST)).client;
    admin = (await t.login(Role.ADMIN)).client;
    [f1, f2] = await Promise.all([f.facility({ name: 'Centre Nancy' }), f.facility({ name: 'Clinique Metz' })]);
    helene = await f.patient({ firstName: 'Hélène', lastName: 'Dupont-Moreau', birthName: 'Moreau', birthDate: '1961-04-02', records: [{ facility: f1 }, { facility: f2, city: 'Metz' }] });
    jean = await f.patient({ firstName: 'Jean', lastName: 'Martin', records: [{ facility: f1 }] });
    zoe = await f.patient({ firstName: 'Zoé', lastName: 'Lefèvre', records: [{ facility: f2 }] });
    withdrawn = await f.patient({ firstName: 'Retiré', lastName: 'Withdrawn', records: [{ facility: f1 }] });
    heleneExamOfA = (await f.exam({
      patient: helene, facility: f1, title: 'ECHOGRAPHIE CERVICALE', date: new Date('2024-03-01T09:00:00Z'),
      access: [{ physicianId: a.userId, role: ExamRole.CORRESPONDENT }],
      documents: [{ type: DocumentType.REPORT }, { type: DocumentType.IMAGING }],
    })).exam;
    // B's exam of the same patient is newer: A must see neither it nor its date.
    heleneExamOfB = await f.exam({
      patient: helene, facility: f2, title: 'IRM CEREBRALE', date: new Date('2024-06-01T09:00:00Z'),
      access: [{ physicianId: b.userId }], documents: [{ type: DocumentType.REPORT }],
    });
    await f.exam({ patient: jean, facility: f1, title: 'SCANNER THORACIQUE', date: new Date('2024-05-01T09:00:00Z'), access: [{ physicianId: a.userId }, { physicianId: a.userId, role: ExamRole.CORRESPONDENT }] });
    zoeExam = await f.exam({ patient: zoe, facility: f2, date: new Date('2024-07-01T09:00:00Z'), access: [{ physicianId: b.userId }], documents: [{ type: DocumentType.IMAGING }] });
    await f.exam({ patient: withdrawn, facility: f1, date: new Date('2024-08-01T09:00:00Z'), access: [{ physicianId: a.userId }], status: ExamStatus.WITHDRAWN });
  });
  afterAll(() => t?.stop());

  it('lists my patients, newest visible exam first, with the last exam I may see', async () => {
    const r = await a.client.mustQuery(DASHBOARD);
    expect(names(r)).toEqual(['Jean Martin', 'Hélène Dupont-Moreau']);
    const h = r.patients.edges[1].node;
    expect(h).toMatchObject({ birthName: 'Moreau', birthDate: '1961-04-02', sex: 'F', lastExamTitle: 'ECHOGRAPHIE CERVICALE', hasUnopened: true });
    expect(h.lastExamAt).toBe('2024-03-01T09:00:00.000Z');
    expect(r.patients.totalCount).toBe(2);
    expect(names(await b.client.mustQuery(DASHBOARD))).toEqual(['Zoé Lefèvre', 'Hélène Dupont-Moreau']);
  });

  it('a patient record holds the administrative data of the centres of my exams, and only my exams', async () => {
    const r = await a.client.mustQuery(RECORD, { id: helene.id });
    expect(r.patient.lastExamAt).toBe('2024-03-01T09:00:00.000Z');
    // Metz sent this patient's exam to B only: its record (a visit there) is not A's to see (issue 17 §7).
    expect(r.patient.records.map((x: { facility: { name: string } }) => x.facility.name)).toEqual(['Centre Nancy']);
    expect(r.patient.records[0]).toMatchObject({ lastName: 'Dupont-Moreau', firstName: 'Hélène', birthName: 'Moreau', postalCode: '54000' });
    expect(r.patient.exams).toHaveLength(1);
    expect(r.patient.exams[0]).toMatchObject({ id: heleneExamOfA.id, myRole: 'CORRESPONDENT', opened: false, facility: { name: 'Centre Nancy' } });
    const docs = r.patient.exams[0].documents;
    expect(docs.map((d: { type: string }) => d.type).sort()).toEqual(['IMAGING', 'REPORT']);
    const report = docs.find((d: { type: string }) => d.type === 'REPORT');
    expect(report.reportUrl).toBe(`/api/documents/${report.id}/report.pdf`);
    expect(docs.find((d: { type: string }) => d.type === 'IMAGING').studyInstanceUid).toBe(heleneExamOfA.studyInstanceUid);
    expect(JSON.stringify(r)).not.toContain('IRM CEREBRALE');
    expect(JSON.stringify(r)).not.toContain('Metz');
  });

  it('named both prescriber and correspondent, I see the exam once, as prescriber', async () => {
    const r = await a.client.mustQuery(RECORD, { id: jean.id });
    expect(r.patient.exams).toHaveLength(1);
    expect(r.patient.exams[0].myRole).toBe('PRESCRIBER');
  });

  it('another physician’s patient, exam or document answers exactly like an id that does not exist', async () => {
    const missing = randomUUID();
    const cases: Array<[string, string]> = [
      [RECORD, zoe.id], [RECORD, withdrawn.id], [EXAM, heleneExamOfB.exam.id], [EXAM, zoeExam.exam.id],
      [DOCUMENT, heleneExamOfB.documents[0]!.id], [DOCUMENT, zoeExam.documents[0]!.id],
    ];
    for (const [query, id] of cases) {
      const theirs = await a.client.query(query, { id });
      const absent = await a.client.query(query, { id: missing });
      const garbage = await a.client.query(query, { id: 'not-an-id' });
      expect(theirs).toEqual(absent);
      expect(garbage).toEqual(absent);
      expect(Object.values(absent.data ?? {})).toEqual([null]);
      expect(absent.errors).toBeUndefined();
    }
  });

  it('analysts and administrators are refused patient data with FORBIDDEN, anonymous callers with UNAUTHENTICATED', async () => {
    const queries: Array<[string, Record<string, unknown>]> = [
      [DASHBOARD, {}], [RECORD, { id: helene.id }], [EXAM, { id: heleneExamOfA.id }], [DOCUMENT, { id: heleneExamOfB.documents[0]!.id }],
    ];
    for (const [query, vars] of queries) {
      for (const client of [analyst, admin]) {
        const r = await client.query(query, vars);
        expect(errorCode(r)).toBe('FORBIDDEN');
        expect(JSON.stringify(r.data ?? null)).not.toMatch(/Hélène|Dupont|ECHOGRAPHIE/);
      }
      const anon = await t.client().query(query, vars);
      expect(errorCode(anon)).toBe('UNAUTHENTICATED');
    }
  });

  it('an exam withdrawn or moved after publication disappears or moves on the dashboard (rights follow the exam)', async () => {
    const { client, userId } = await t.login(Role.PHYSICIAN);
    const p = await f.patient({ firstName: 'Mobile', lastName: 'Examen' });
    const { exam } = await f.exam({ patient: p, facility: f1, date: new Date('2022-01-01T00:00:00Z'), access: [{ physicianId: userId }] });
    const em = t.deps.orm.em.fork();
    await em.getConnection().execute(`update exam set date = '2023-02-03T04:05:06Z' where id = ?`, [exam.id]);
    expect((await client.mustQuery(DASHBOARD)).patients.edges[0].node.lastExamAt).toBe('2023-02-03T04:05:06.000Z');
    await em.getConnection().execute(`update exam set status = 'WITHDRAWN' where id = ?`, [exam.id]);
    expect(names(await client.mustQuery(DASHBOARD))).toEqual([]);
    expect((await client.query(RECORD, { id: p.id })).data?.patient).toBeNull();
  });

  describe('the name filter (any name part, from its start, whatever the case and accents)', () => {
    it.each([
      ['helene', ['Hélène Dupont-Moreau']],
      ['HÉLÈNE', ['Hélène Dupont-Moreau']],
      ['hel', ['Hélène Dupont-Moreau']],
      ['dup', ['Hélène Dupont-Moreau']],
      ['mor', ['Hélène Dupont-Moreau']],
      ['Dupont-Moreau', ['Hélène Dupont-Moreau']],
      ['  hélène   DUP ', ['Hélène Dupont-Moreau']],
      ['mart', ['Jean Martin']],
      ['j m', ['Jean Martin']],
      ['ene', []],
      ['hel martin', []],
      ['zoe', []],
      // Punctuation only separates words: a filter of punctuation filters nothing (and never reaches LIKE as a wildcard).
      ['%', ['Jean Martin', 'Hélène Dupont-Moreau']],
      ['_%_', ['Jean Martin', 'Hélène Dupont-Moreau']],
      ['', ['Jean Martin', 'Hélène Dupont-Moreau']],
    ])('"%s" finds %j', async (name, expected) => {
      const r = await a.client.mustQuery(DASHBOARD, { name });
      expect(names(r)).toEqual(expected);
      expect(r.patients.totalCount).toBe(expected.length);
    });

    it('refuses an unreasonable filter with BAD_USER_INPUT', async () => {
      expect(errorCode(await a.client.query(DASHBOARD, { name: 'a'.repeat(101) }))).toBe('BAD_USER_INPUT');
      expect(errorCode(await a.client.query(DASHBOARD, { name: 'a b c d e f g' }))).toBe('BAD_USER_INPUT');
    });
  });

  describe('pagination', () => {
    let c: { client: GqlClient; userId: string };
    beforeAll(async () => {
      c = await t.login(Role.PHYSICIAN);
      // Seven patients, three of them with the same exam date: the cursor must break the tie.
      for (let i = 0; i < 7; i++) {
        const p = await f.patient({ firstName: `Page${i}`, lastName: 'Pagination' });
        await f.exam({ patient: p, facility: f1, date: new Date(Date.UTC(2023, 0, 1 + Math.min(i, 4))), access: [{ physicianId: c.userId }] });
      }
    });

    it('walks every patient once, in order, page after page', async () => {
      const all = names(await c.client.mustQuery(DASHBOARD, { first: 50 }));
      expect(all).toHaveLength(7);
      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      for (;;) {
        const r: { patients: { edges: Array<{ node: Node }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } =
          await c.client.mustQuery(DASHBOARD, { first: 3, after });
        seen.push(...names(r));
        pages++;
        if (!r.patients.pageInfo.hasNextPage) break;
        after = r.patients.pageInfo.endCursor;
      }
      expect(pages).toBe(3);
      expect(seen).toEqual(all);
      const dates = (await c.client.mustQuery(DASHBOARD, { first: 50 })).patients.edges.map((e: { node: Node }) => e.node.lastExamAt);
      expect([...dates].sort().reverse()).toEqual(dates);
    });

    it('refuses a forged cursor and out-of-range page sizes with BAD_USER_INPUT', async () => {
      expect(errorCode(await c.client.query(DASHBOARD, { after: 'bm90LWEtY3Vyc29y' }))).toBe('BAD_USER_INPUT');
      expect(errorCode(await c.client.query(DASHBOARD, { after: Buffer.from(JSON.stringify(["2024-01-01' or 1=1", randomUUID()])).toString('base64url') }))).toBe('BAD_USER_INPUT');
      expect(errorCode(await c.client.query(DASHBOARD, { first: 0 }))).toBe('BAD_USER_INPUT');
      expect(errorCode(await c.client.query(DASHBOARD, { first: 101 }))).toBe('BAD_USER_INPUT');
    });
  });

  describe('audit trail', () => {
    it('opening a record writes who, what, when and from where; a refused one writes nothing', async () => {
      const before = Date.now();
      await a.client.mustQuery(RECORD, { id: helene.id });
      await a.client.mustQuery(RECORD, { id: zoe.id });
      const r = await admin.mustQuery(`query($p: ID) { auditEvents(patientId: $p, first: 10) { edges { node { action actorKind actorUserId actorEmail patientId ip at } } } }`, { p: helene.id });
      const mine = r.auditEvents.edges.map((e: { node: Record<string, string> }) => e.node).filter((n: Record<string, string>) => n.actorUserId === a.userId);
      expect(mine.length).toBeGreaterThan(0);
      expect(mine[0]).toMatchObject({ action: 'RECORD_OPENED', actorKind: 'USER', actorEmail: a.email, patientId: helene.id });
      expect(mine[0].ip).toBeTruthy();
      expect(new Date(mine[0].at).getTime()).toBeGreaterThanOrEqual(before - 1000);
      const zoeTrail = await admin.mustQuery(`query($p: ID) { auditEvents(patientId: $p) { edges { node { actorUserId } } } }`, { p: zoe.id });
      expect(zoeTrail.auditEvents.edges.filter((e: { node: { actorUserId: string } }) => e.node.actorUserId === a.userId)).toEqual([]);
    });

    it('lists a user’s traces newest first, page by page', async () => {
      for (let i = 0; i < 3; i++) await b.client.mustQuery(RECORD, { id: zoe.id });
      const q = `query($u: ID, $after: String) { auditEvents(userId: $u, first: 2, after: $after) { edges { node { id action at } } pageInfo { hasNextPage endCursor } } }`;
      const p1 = await admin.mustQuery(q, { u: b.userId });
      const p2 = await admin.mustQuery(q, { u: b.userId, after: p1.auditEvents.pageInfo.endCursor });
      const ats = [...p1.auditEvents.edges, ...p2.auditEvents.edges].map((e: { node: { at: string } }) => e.node.at);
      expect([...ats].sort().reverse()).toEqual(ats);
      const ids = [...p1.auditEvents.edges, ...p2.auditEvents.edges].map((e: { node: { id: string } }) => e.node.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(p1.auditEvents.pageInfo.hasNextPage).toBe(true);
    });

    it('is for administrators only', async () => {
      const q = `{ auditEvents { edges { node { id } } } }`;
      expect(errorCode(await a.client.query(q))).toBe('FORBIDDEN');
      expect(errorCode(await analyst.query(q))).toBe('FORBIDDEN');
      expect(errorCode(await t.client().query(q))).toBe('UNAUTHENTICATED');
    });
  });
});
