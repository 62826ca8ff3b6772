import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkEm } from '../../src/bootstrap.js';
import { Role } from '../../src/modules/auth/user.entity.js';
import { errorCode, randomRpps, startTestServer, type GqlClient, type TestServer } from '../harness.js';
import { PUBLISH, createTestFacility, publishInput, storeStudy, writtenRows, type TestFacility } from './fixtures.js';

const DASHBOARD = `query($name: String) { patients(filter: { name: $name }) { edges { node { displayName birthName records { lastName firstName } } } } }`;

/**
 * Issue 17 finding 11: a name with a RIGHT-TO-LEFT OVERRIDE displays as another name, one with a
 * ZERO WIDTH SPACE cannot be found by typing it. What a name may hold is decided where identity
 * enters (publishExam, which `ingest` and every PACS gateway go through; ADR 0097).
 */
describe('what a patient name, a title or an address may hold when a centre publishes it', () => {
  let t: TestServer;
  let nancy: TestFacility;
  let doctor: { client: GqlClient; rpps: string };

  beforeAll(async () => {
    t = await startTestServer();
    nancy = await createTestFacility(t, 'Centre de Nancy');
    const rpps = randomRpps();
    doctor = { client: (await t.login(Role.PHYSICIAN, { rpps })).client, rpps };
  });
  afterAll(() => t?.stop());

  type Input = { patient: Record<string, unknown>; documents: Array<Record<string, unknown>>; title?: unknown };
  const cases: Array<[string, (i: Input) => void, string, RegExp]> = [
    ['a RIGHT-TO-LEFT OVERRIDE in the last name', (i) => { i.patient.lastName = 'Dupont\u202Eduarf'; }, 'patient.lastName', /U\+202E/],
    ['a ZERO WIDTH SPACE in the first name', (i) => { i.patient.firstName = 'Hé\u200Blène'; }, 'patient.firstName', /U\+200B/],
    ['a bidi isolate in the birth name', (i) => { i.patient.birthName = '\u2067Moreau\u2069'; }, 'patient.birthName', /U\+2067/],
    ['an escape sequence in the city', (i) => { i.patient.city = 'Nancy\u001B[2J'; }, 'patient.city', /U\+001B/],
    ['a RIGHT-TO-LEFT MARK in the exam title', (i) => { i.title = 'SCANNER\u200F THORACIQUE'; }, 'title', /U\+200F/],
    ['a WORD JOINER in a document title', (i) => { i.documents[0]!.title = 'IMAGES\u2060'; }, 'documents[0].title', /U\+2060/],
    ['a combining accent alone at the start of a name', (i) => { i.patient.lastName = '\u0301Dupont'; }, 'patient.lastName', /combining mark/],
    ['a last name without any letter', (i) => { i.patient.lastName = '-- . --'; }, 'patient.lastName', /letter/],
  ];
  it.each(cases)('refuses %s with BAD_USER_INPUT naming the field and the character, and stores nothing', async (_label, mutate, field, message) => {
    const input = publishInput(await storeStudy(t, nancy.facility), doctor.rpps, { accessionNumber: `NAME-${field}` }) as Input;
    mutate(input);
    const before = await writtenRows(t);
    const r = await nancy.client.query(PUBLISH, { input });
    expect(errorCode(r)).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0]?.extensions?.field).toBe(field);
    expect(r.errors?.[0]?.message).toMatch(message);
    // The error names the character, never echoes the patient's data back.
    expect(r.errors?.[0]?.message).not.toMatch(/Dupont|Hé|Moreau|Nancy|SCANNER|IMAGES/);
    expect(await writtenRows(t)).toEqual(before);
  });

  it('stores names in NFC with plain spaces, so the decomposed and the typed name are one and are found', async () => {
    const input = publishInput(await storeStudy(t, nancy.facility), doctor.rpps, {
      accessionNumber: 'NFC-1',
      patient: { ipp: 'NFC-IPP', firstName: 'He\u0301le\u0300ne', lastName: 'Le\u00a0Gall', birthName: 'Nguye\u0302\u0303n' },
    });
    const r = await nancy.client.query(PUBLISH, { input });
    expect(r.errors).toBeUndefined();
    const [row] = await forkEm(t.deps).getConnection().execute<Array<{ first_name: string; last_name: string; birth_name: string }>>(
      `select first_name, last_name, birth_name from administrative_record where ipp = 'NFC-IPP'`,
    );
    expect(row).toEqual({ first_name: 'Hélène', last_name: 'Le Gall', birth_name: 'Nguyễn' });
    for (const filter of ['hélène', 'HELENE le gall', 'nguyen']) {
      const found = await doctor.client.mustQuery(DASHBOARD, { name: filter });
      expect(found.patients.edges.map((e: { node: unknown }) => e.node)).toEqual([
        { displayName: 'Hélène Le Gall', birthName: 'Nguyễn', records: [{ lastName: 'Le Gall', firstName: 'Hélène' }] },
      ]);
    }
  });
});
