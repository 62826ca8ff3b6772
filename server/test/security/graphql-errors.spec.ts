import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { randomRpps, startTestServer, type GqlClient, type GqlResult, type TestServer } from '../harness.js';
import { PUBLISH, createTestFacility, publishInput, storeStudy, writtenRows, type TestFacility } from '../publish/fixtures.js';

/*
 * Variables that do not fit the operation's declared types are the client's mistake: they answer
 * BAD_USER_INPUT with GraphQL's own message (naming the variable and the path of the bad value),
 * HTTP 400, and run nothing. Before, the cost analysis coerced them first and its uncoded error
 * was masked as INTERNAL_SERVER_ERROR.
 */
describe('invalid variable values answer BAD_USER_INPUT, never INTERNAL_SERVER_ERROR', () => {
  let t: TestServer;
  let centre: TestFacility;
  let valid: Record<string, unknown> & { documents: Array<Record<string, unknown>>; patient: Record<string, unknown> };
  // Every error formatError masks is logged as "unexpected GraphQL error", through pino as
  // production writes it (its error serializer would print a message and stack).
  const logged: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      logged.push(chunk.toString('utf8'));
      done();
    },
  });

  beforeAll(async () => {
    t = await startTestServer({}, { logger: pino({ level: 'error' }, stream) });
    centre = await createTestFacility(t, 'Centre des variables');
    valid = publishInput(await storeStudy(t, centre.facility), randomRpps(), { accessionNumber: 'VAR-1', patient: { ipp: 'VAR-IPP' } }) as typeof valid;
  });
  afterAll(() => t?.stop());

  async function expectRefused(r: GqlResult, message: RegExp): Promise<void> {
    expect(r.status).toBe(400);
    expect(r.errors?.length).toBeGreaterThan(0);
    for (const e of r.errors ?? []) expect(e.extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0]?.message).toMatch(message);
    expect(r.data ?? null).toBeNull();
  }

  const cases: Array<[string, () => Record<string, unknown>, RegExp]> = [
    [
      'an enum value the schema does not have (documents[0].type)',
      () => ({ input: { ...valid, documents: [{ ...valid.documents[0], type: 'SCANNER' }] } }),
      /^Variable "\$input" got invalid value "SCANNER" at "input\.documents\[0\]\.type"; Value "SCANNER" does not exist in "DocumentType" enum/,
    ],
    ['a number where a String is declared (accessionNumber)', () => ({ input: { ...valid, accessionNumber: 42 } }), /^Variable "\$input" got invalid value 42 at "input\.accessionNumber"; String cannot represent a non string value/],
    ['a text that is not a date (date)', () => ({ input: { ...valid, date: 'mardi dernier' } }), /^Variable "\$input" got invalid value "mardi dernier" at "input\.date"/],
    ['a missing required field (patient.lastName)', () => ({ input: { ...valid, patient: { ...valid.patient, lastName: undefined } } }), /^Variable "\$input" got invalid value .* at "input\.patient"; Field "lastName" of required type "String!" was not provided/],
    ['the required variable missing altogether', () => ({}), /^Variable "\$input" of required type "PublishExamInput!" was not provided/],
  ];

  it.each(cases)('publishExam with %s: BAD_USER_INPUT, HTTP 400, nothing written', async (_label, variables, message) => {
    const before = await writtenRows(t);
    await expectRefused(await centre.client.query(PUBLISH, variables()), message);
    expect(await writtenRows(t)).toEqual(before);
  });

  it('a query with an invalid enum in a list variable (stats groupBy) answers the same way', async () => {
    const { client }: { client: GqlClient } = await t.login(Role.ANALYST);
    const r = await client.query(`query($g: [StatsGroup!]) { stats(groupBy: $g) { from } }`, { g: ['DAY', 'SIECLE'] });
    await expectRefused(r, /^Variable "\$g" got invalid value "SIECLE" at "g\[1\]"; Value "SIECLE" does not exist in "StatsGroup" enum/);
  });

  it('the same input with valid values still publishes (the refusals above were about the values only)', async () => {
    const r = await centre.client.query(PUBLISH, { input: valid });
    expect(r.errors).toBeUndefined();
    expect(r.data).toMatchObject({ publishExam: { accessionNumber: 'VAR-1' } });
  });

  it('logged no unexpected error for any of these', () => {
    expect(logged.filter((l) => l.includes('unexpected GraphQL error'))).toEqual([]);
  });

  it('a genuine internal error stays masked, and its log line holds no patient data (only the error name and code)', async () => {
    const sql = (q: string) => t.deps.orm.em.fork().getConnection().execute(q);
    await sql(`create function fail_exam_write() returns trigger language plpgsql as $$ begin raise exception 'injected failure'; end $$`);
    await sql(`create trigger fail_exam_write after insert on exam for each statement execute function fail_exam_write()`);
    try {
      const input = publishInput(await storeStudy(t, centre.facility), randomRpps(), { accessionNumber: 'MASK-1', patient: { ipp: 'IPP-SECRET-9', lastName: 'Zébulon-Secret' } });
      const r = await centre.client.query(PUBLISH, { input });
      expect(r.errors?.[0]).toMatchObject({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      expect(JSON.stringify(r)).not.toContain('injected');
    } finally {
      await sql(`drop trigger fail_exam_write on exam`);
      await sql(`drop function fail_exam_write()`);
    }
    const lines = logged.filter((l) => l.includes('unexpected GraphQL error'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('P0001');
    for (const secret of ['Zébulon', 'Zebulon', 'IPP-SECRET-9', 'MASK-1', 'injected']) expect(lines[0]).not.toContain(secret);
  });
});
