import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { DocumentType } from '../../src/modules/exam/exam.entity.js';
import type { Facility } from '../../src/modules/facility/facility.entity.js';
import { Factory } from '../factories.js';
import { statementsDuring } from '../auth/db-probe.js';
import { startTestServer, type GqlClient, type TestServer } from '../harness.js';

// Every edge of the portal's types, as deep as the UI goes: a resolver that queried per row
// would make the count grow with the rows.
const DASHBOARD = `{ patients(first: 60) {
  edges { cursor node { id displayName birthName birthDate sex lastExamAt lastExamTitle hasUnopened
    records { ipp facility { name finess } }
    exams { id title facility { name } documents { id type reportUrl exam { id title } } } } }
  pageInfo { hasNextPage endCursor } } }`;
const RECORD = `query($id: ID!) { patient(id: $id) { id displayName
  records { ipp lastName receivedAt facility { id name finess } }
  exams { id title date myRole opened facility { id name } documents { id type title date reportUrl studyInstanceUid exam { id } } } } }`;

/**
 * Counts the SQL statements the server sends while `fn` runs (nothing else talks to the database
 * meanwhile), the session's read and touch left out: one per request at most, not per row, and a
 * query may take the session's row from the read cache instead (ADR 0142), depending on timing.
 */
function countQueries(t: TestServer, fn: () => Promise<unknown>): Promise<number> {
  return statementsDuring(t, (sql) => !/from session s join app_user u|^\s*update "session"/.test(sql), fn);
}

describe('one dashboard page and one patient record take a constant number of SQL statements', () => {
  let t: TestServer;
  let f: Factory;
  let facilities: Facility[];

  async function physicianWith(patients: number, examsPerPatient: number): Promise<{ client: GqlClient; firstPatientId: string }> {
    const { client, userId } = await t.login(Role.PHYSICIAN);
    let firstPatientId = '';
    for (let i = 0; i < patients; i++) {
      const patient = await f.patient({ records: facilities.map((facility) => ({ facility })) });
      firstPatientId ||= patient.id;
      for (let j = 0; j < examsPerPatient; j++) {
        await f.exam({ patient, facility: facilities[j % 2]!, access: [{ physicianId: userId }], documents: [{ type: DocumentType.REPORT }, { type: DocumentType.IMAGING }] });
      }
    }
    return { client, firstPatientId };
  }

  beforeAll(async () => {
    // No mail worker: its polling would be counted too.
    t = await startTestServer({}, { outbox: { start: false } });
    f = new Factory(t.deps);
    facilities = [await f.facility(), await f.facility()];
  });
  afterAll(() => t?.stop());

  it('dashboard: 3 patients or 60, the same count', async () => {
    const small = await physicianWith(3, 2);
    const large = await physicianWith(60, 2);
    // Warm-up right before counting: first-use queries are not per row.
    await small.client.mustQuery(DASHBOARD);
    const nSmall = await countQueries(t, async () => expect((await small.client.mustQuery(DASHBOARD)).patients.edges).toHaveLength(3));
    await large.client.mustQuery(DASHBOARD);
    const nLarge = await countQueries(t, async () => expect((await large.client.mustQuery(DASHBOARD)).patients.edges).toHaveLength(60));
    expect(nLarge).toBe(nSmall);
    // patients page, records, facilities, exams, documents, document.exam
    expect(nSmall).toBeGreaterThanOrEqual(5);
    expect(nSmall).toBeLessThanOrEqual(9);
  });

  it('patient record: 2 exams or 30, the same count', async () => {
    const small = await physicianWith(1, 2);
    const large = await physicianWith(1, 30);
    await small.client.mustQuery(RECORD, { id: small.firstPatientId });
    const nSmall = await countQueries(t, async () => expect((await small.client.mustQuery(RECORD, { id: small.firstPatientId })).patient.exams).toHaveLength(2));
    await large.client.mustQuery(RECORD, { id: large.firstPatientId });
    const nLarge = await countQueries(t, async () => expect((await large.client.mustQuery(RECORD, { id: large.firstPatientId })).patient.exams).toHaveLength(30));
    expect(nLarge).toBe(nSmall);
    expect(nSmall).toBeGreaterThanOrEqual(5);
    expect(nSmall).toBeLessThanOrEqual(11);
  });
});
