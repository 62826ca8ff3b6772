import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkEm } from '../../src/bootstrap.js';
import { nirKey } from '../../src/common/identifiers.js';
import { createUser } from '../../src/modules/auth/auth.service.js';
import { Role } from '../../src/modules/auth/user.entity.js';
import { revokeApiKeys } from '../../src/modules/facility/facility.service.js';
import { TEST_PASSWORD, errorCode, randomRpps, startTestServer, type GqlResult, type TestServer } from '../harness.js';
import { PUBLISH, createTestFacility, newUid, publishInput, storeStudy, writtenRows, type PublishedExamResult, type TestFacility } from './fixtures.js';

type Published = GqlResult<{ publishExam: PublishedExamResult }>;

describe('publishExam (imaging centres publish exams)', () => {
  let t: TestServer;
  let nancy: TestFacility;
  let metz: TestFacility;

  beforeAll(async () => {
    t = await startTestServer();
    nancy = await createTestFacility(t, "Centre d'imagerie de Nancy");
    metz = await createTestFacility(t, 'Imagerie de Metz');
  });
  afterAll(() => t?.stop());

  const sql = async <T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> =>
    forkEm(t.deps).getConnection().execute<T[]>(query, params);

  const publish = (f: TestFacility, input: Record<string, unknown>): Promise<Published> => f.client.query(PUBLISH, { input });

  async function physician(): Promise<{ userId: string; email: string; rpps: string }> {
    const rpps = randomRpps();
    const { userId, email } = await t.login(Role.PHYSICIAN, { rpps });
    return { userId, email, rpps };
  }

  async function mustPublish(f: TestFacility, input: Record<string, unknown>): Promise<PublishedExamResult> {
    const r = await publish(f, input);
    if (r.errors?.length) throw new Error(`publishExam failed: ${JSON.stringify(r.errors)}`);
    return r.data!.publishExam;
  }

  describe('authorisation', () => {
    it('refuses anonymous callers with UNAUTHENTICATED and writes nothing', async () => {
      const study = await storeStudy(t, nancy.facility);
      const before = await writtenRows(t);
      const r = await t.client().query(PUBLISH, { input: publishInput(study, randomRpps(), { accessionNumber: 'ANON-1' }) });
      expect(errorCode(r)).toBe('UNAUTHENTICATED');
      expect(await writtenRows(t)).toEqual(before);
    });

    it.each([Role.PHYSICIAN, Role.ANALYST, Role.ADMIN])('refuses a %s session with FORBIDDEN', async (role) => {
      const study = await storeStudy(t, nancy.facility);
      const { client } = await t.login(role);
      const before = await writtenRows(t);
      const r = await client.query(PUBLISH, { input: publishInput(study, randomRpps(), { accessionNumber: `SESSION-${role}` }) });
      expect(errorCode(r)).toBe('FORBIDDEN');
      expect(r.data?.publishExam ?? null).toBeNull();
      expect(await writtenRows(t)).toEqual(before);
    });

    it('refuses a revoked key with UNAUTHENTICATED', async () => {
      const f = await createTestFacility(t, 'Centre révoqué');
      const study = await storeStudy(t, f.facility);
      await revokeApiKeys(forkEm(t.deps), { finess: f.facility.finess });
      const before = await writtenRows(t);
      expect(errorCode(await publish(f, publishInput(study, randomRpps(), { accessionNumber: 'REVOKED-1' })))).toBe('UNAUTHENTICATED');
      expect(await writtenRows(t)).toEqual(before);
    });

    it("refuses a study stored by another facility with FORBIDDEN, and never touches the other facility's exam", async () => {
      const study = await storeStudy(t, nancy.facility);
      const rpps = randomRpps();
      const original = await mustPublish(nancy, publishInput(study, rpps, { accessionNumber: 'OWN-1', patient: { ipp: 'OWN-IPP-1' } }));
      const before = await writtenRows(t);

      const stolen = await publish(metz, publishInput(study, randomRpps(), { accessionNumber: 'OWN-1', title: 'Écrasé', patient: { ipp: 'OTHER-IPP' } }));
      expect(errorCode(stolen)).toBe('FORBIDDEN');

      // Metz's own study, but a document pointing at Nancy's report: refused the same way.
      const metzStudy = await storeStudy(t, metz.facility);
      const mixed = publishInput(metzStudy, randomRpps(), { accessionNumber: 'MIXED-1' });
      (mixed.documents as unknown[]).push({ type: 'REPORT', title: 'CR', date: '2025-11-20T11:00:00.000Z', studyInstanceUid: study.studyInstanceUid, sopInstanceUid: study.reportSopInstanceUid });
      expect(errorCode(await publish(metz, mixed))).toBe('FORBIDDEN');
      expect(await writtenRows(t)).toEqual(before);

      const [exam] = await sql<{ title: string; facility_id: string }>(`select title, facility_id from exam where id = ?`, [original.id]);
      expect(exam).toEqual({ title: 'SCANNER THORACIQUE', facility_id: nancy.facility.id });
    });

    it("the same accession number at another facility is that facility's own exam", async () => {
      const a = await mustPublish(nancy, publishInput(await storeStudy(t, nancy.facility), randomRpps(), { accessionNumber: 'SHARED-ACC', patient: { ipp: 'SA-1' } }));
      const b = await mustPublish(metz, publishInput(await storeStudy(t, metz.facility), randomRpps(), { accessionNumber: 'SHARED-ACC', title: 'IRM', patient: { ipp: 'SA-2' } }));
      expect(b.id).not.toBe(a.id);
      const rows = await sql<{ title: string }>(`select title from exam where accession_number = 'SHARED-ACC' order by title`);
      expect(rows.map((r) => r.title)).toEqual(['IRM', 'SCANNER THORACIQUE']);
    });
  });

  describe('publishing', () => {
    it('creates the patient, the record, the exam, its documents and the rights in one call', async () => {
      const study = await storeStudy(t, nancy.facility);
      const prescriber = await physician();
      const prescriberId = prescriber.userId;
      const pending = randomRpps();
      const published = await mustPublish(nancy, publishInput(study, prescriber.rpps, { accessionNumber: 'CREATE-1', correspondentRpps: [pending], patient: { ipp: 'CREATE-IPP' } }));

      expect(published).toMatchObject({
        accessionNumber: 'CREATE-1',
        studyInstanceUid: study.studyInstanceUid,
        title: 'SCANNER THORACIQUE',
        date: '2025-11-20T09:30:00.000Z',
        documentsCount: 2,
        rights: [
          { rpps: prescriber.rpps, role: 'PRESCRIBER', granted: true },
          { rpps: pending, role: 'CORRESPONDENT', granted: false },
        ],
      });
      const [patient] = await sql<{ id: string; last_name: string; first_name: string; birth_date: string; search_name: string }>(
        `select p.id, p.last_name, p.first_name, to_char(p.birth_date, 'YYYY-MM-DD') as birth_date, p.search_name
           from patient p join exam e on e.patient_id = p.id where e.id = ?`,
        [published.id],
      );
      expect(patient).toMatchObject({ last_name: 'Dupont-Moreau', first_name: 'Hélène', birth_date: '1961-03-12', search_name: 'helene dupont moreau' });
      const records = await sql(`select ipp, city, postal_code, phone, facility_id from administrative_record where patient_id = ?`, [patient!.id]);
      expect(records).toEqual([{ ipp: 'CREATE-IPP', city: 'Nancy', postal_code: '54000', phone: '03 83 12 34 56', facility_id: nancy.facility.id }]);
      const docs = await sql<{ type: string; sop_instance_uid: string | null }>(`select type, sop_instance_uid from document where exam_id = ? order by type`, [published.id]);
      expect(docs).toEqual([
        { type: 'IMAGING', sop_instance_uid: null },
        { type: 'REPORT', sop_instance_uid: study.reportSopInstanceUid },
      ]);
      const audit = await sql(`select facility_id, patient_id, actor_kind from audit_event where action = 'EXAM_PUBLISHED' and exam_id = ?`, [published.id]);
      expect(audit).toEqual([{ facility_id: nancy.facility.id, patient_id: patient!.id, actor_kind: 'FACILITY' }]);
      const notified = await sql(`select recipient_id from notification where exam_id = ?`, [published.id]);
      expect(notified).toEqual([{ recipient_id: prescriberId }]);
    });

    it('takes the modalities of the stored study when none are given', async () => {
      const published = await mustPublish(nancy, publishInput(await storeStudy(t, nancy.facility), randomRpps(), { accessionNumber: 'MOD-1', modalities: [] }));
      const [exam] = await sql<{ modalities: string[] }>(`select modalities from exam where id = ?`, [published.id]);
      expect([...exam!.modalities].sort()).toEqual(['CT', 'DOC']);
    });

    it('re-publishing updates in place: no duplicate, removed rights gone, document ids kept, nobody notified twice', async () => {
      const study = await storeStudy(t, nancy.facility);
      const p = await physician();
      const c = await physician();
      const { userId: prescriberId, email } = p;
      const first = publishInput(study, p.rpps, { accessionNumber: 'REPUB-1', correspondentRpps: [c.rpps], notifyCorrespondents: true, patient: { ipp: 'REPUB-IPP' } });
      const a = await mustPublish(nancy, first);
      const docsBefore = await sql<{ id: string; type: string }>(`select id, type from document where exam_id = ? order by type`, [a.id]);
      await t.waitForMail((m) => m.to.includes(email));

      const second = { ...first, title: 'SCANNER THORACIQUE INJECTÉ', correspondentRpps: [], patient: { ...(first.patient as object), city: 'Vandœuvre-lès-Nancy', lastName: 'Moreau' } };
      const b = await mustPublish(nancy, second);
      expect(b.id).toBe(a.id);
      expect(b.rights).toEqual([{ rpps: p.rpps, role: 'PRESCRIBER', granted: true }]);
      await mustPublish(nancy, second);

      expect(await sql(`select title from exam where facility_id = ? and accession_number = 'REPUB-1'`, [nancy.facility.id])).toEqual([{ title: 'SCANNER THORACIQUE INJECTÉ' }]);
      expect(await sql(`select id, type from document where exam_id = ? order by type`, [a.id])).toEqual(docsBefore);
      expect(await sql(`select rpps, role from exam_access where exam_id = ?`, [a.id])).toEqual([{ rpps: p.rpps, role: 'PRESCRIBER' }]);
      expect(await sql(`select recipient_id from notification where exam_id = ?`, [a.id])).toEqual([{ recipient_id: prescriberId }]);
      const records = await sql<{ city: string; patient_id: string }>(`select city, patient_id from administrative_record where facility_id = ? and ipp = 'REPUB-IPP'`, [nancy.facility.id]);
      expect(records).toHaveLength(1);
      expect(records[0]!.city).toBe('Vandœuvre-lès-Nancy');
      expect(await sql(`select last_name, search_name from patient where id = ?`, [records[0]!.patient_id])).toEqual([{ last_name: 'Moreau', search_name: 'helene moreau' }]);
      expect(await sql(`select count(*)::int as n from outbox_message where "to" = ?`, [email])).toEqual([{ n: 1 }]);
      await t.deps.outbox.drainOnce();
      expect(t.catcher.messages().filter((m) => m.to.includes(email))).toHaveLength(1);
    });

    it('notifies correspondents only when asked, and only physicians whose account is active', async () => {
      const study = await storeStudy(t, nancy.facility);
      const p = await physician();
      const c = await physician();
      const [prescriberId, correspondentId] = [p.userId, c.userId];
      const quiet = await mustPublish(nancy, publishInput(study, p.rpps, { accessionNumber: 'NOTIFY-1', correspondentRpps: [c.rpps] }));
      expect(await sql(`select recipient_id from notification where exam_id = ?`, [quiet.id])).toEqual([{ recipient_id: prescriberId }]);

      const loud = await mustPublish(nancy, publishInput(study, p.rpps, { accessionNumber: 'NOTIFY-1', correspondentRpps: [c.rpps], notifyCorrespondents: true }));
      const rows = await sql<{ recipient_id: string }>(`select recipient_id from notification where exam_id = ?`, [loud.id]);
      expect(rows.map((r) => r.recipient_id).sort()).toEqual([prescriberId, correspondentId].sort());

      const inactiveRpps = randomRpps();
      await createUser(forkEm(t.deps), t.deps.config, { email: `inactive-${inactiveRpps}@test.e-mage.fr`, role: Role.PHYSICIAN, firstName: 'Pas', lastName: 'Activé', rpps: inactiveRpps });
      const inactive = await mustPublish(nancy, publishInput(await storeStudy(t, nancy.facility), inactiveRpps, { accessionNumber: 'NOTIFY-2' }));
      expect(inactive.rights).toEqual([{ rpps: inactiveRpps, role: 'PRESCRIBER', granted: true }]);
      expect(await sql(`select 1 from notification where exam_id = ?`, [inactive.id])).toEqual([]);
    });

    it('keeps rights for an unknown RPPS pending and grants them when that physician activates the account', async () => {
      const rpps = randomRpps();
      const published = await mustPublish(nancy, publishInput(await storeStudy(t, nancy.facility), rpps, { accessionNumber: 'PENDING-1' }));
      expect(published.rights).toEqual([{ rpps, role: 'PRESCRIBER', granted: false }]);
      expect(await sql(`select physician_id from exam_access where exam_id = ?`, [published.id])).toEqual([{ physician_id: null }]);

      const { user, activationToken } = await createUser(forkEm(t.deps), t.deps.config, {
        email: `pending-${rpps}@test.e-mage.fr`, role: Role.PHYSICIAN, firstName: 'Étienne', lastName: 'Durand', rpps,
      });
      await t.client().mustQuery(`mutation($t: String!, $p: String!) { activateAccount(token: $t, password: $p) }`, { t: activationToken, p: TEST_PASSWORD });
      expect(await sql(`select physician_id from exam_access where exam_id = ?`, [published.id])).toEqual([{ physician_id: user.id }]);
    });

    it('one patient across facilities when both send the INS; separate patients without it', async () => {
      const ins = `2610354395118${nirKey('2610354395118')}`;
      const a = await mustPublish(nancy, publishInput(await storeStudy(t, nancy.facility), randomRpps(), { accessionNumber: 'INS-1', patient: { ipp: 'INS-NCY', ins } }));
      const b = await mustPublish(metz, publishInput(await storeStudy(t, metz.facility), randomRpps(), { accessionNumber: 'INS-2', patient: { ipp: 'INS-MTZ', ins } }));
      const patients = await sql<{ patient_id: string }>(`select patient_id from exam where id in (?, ?)`, [a.id, b.id]);
      expect(new Set(patients.map((p) => p.patient_id)).size).toBe(1);
      expect(await sql(`select count(*)::int as n from administrative_record where patient_id = ?`, [patients[0]!.patient_id])).toEqual([{ n: 2 }]);

      const c = await mustPublish(nancy, publishInput(await storeStudy(t, nancy.facility), randomRpps(), { accessionNumber: 'NOINS-1', patient: { ipp: 'NOINS-NCY' } }));
      const d = await mustPublish(metz, publishInput(await storeStudy(t, metz.facility), randomRpps(), { accessionNumber: 'NOINS-2', patient: { ipp: 'NOINS-MTZ' } }));
      const others = await sql<{ patient_id: string }>(`select patient_id from exam where id in (?, ?)`, [c.id, d.id]);
      expect(new Set(others.map((p) => p.patient_id)).size).toBe(2);
    });

    it('the notification e-mail carries no patient name, birth date, IPP or exam title', async () => {
      const { rpps, email } = await physician();
      await mustPublish(nancy, publishInput(await storeStudy(t, nancy.facility), rpps, {
        accessionNumber: 'MAIL-1', title: 'ECHOGRAPHIE CERVICALE', patient: { ipp: 'IPP-MAIL-777', lastName: 'Bâtard', firstName: 'Zoé', birthName: 'Schneider', birthDate: '2001-01-15' },
      }));
      const mail = await t.waitForMail((m) => m.to.includes(email));
      const all = `${mail.subject}\n${mail.text}\n${mail.html}`;
      for (const secret of ['Bâtard', 'Batard', 'B&acirc;tard', 'Zoé', 'Zo&eacute;', 'Schneider', '2001', '15/01', 'IPP-MAIL-777', 'ECHOGRAPHIE', 'MAIL-1', 'CERVICALE']) {
        expect(all.toLowerCase()).not.toContain(secret.toLowerCase());
      }
      expect(mail.text).toContain(t.url);
    });
  });

  describe('bad input changes nothing', () => {
    const cases: Array<[string, (i: Record<string, any>) => void, string]> = [
      ['a prescriber RPPS with a wrong check digit', (i) => { i.prescriberRpps = '10000000010'; }, 'prescriberRpps'],
      ['a correspondent RPPS that is not 11 digits', (i) => { i.correspondentRpps = ['1234']; }, 'correspondentRpps[0]'],
      ['a study UID with letters', (i) => { i.studyInstanceUid = '1.2.abc'; }, 'studyInstanceUid'],
      ['a study UID longer than 64', (i) => { i.studyInstanceUid = `1.${'2'.repeat(70)}`; }, 'studyInstanceUid'],
      ['an impossible birth date', (i) => { i.patient.birthDate = '1961-02-30'; }, 'patient.birthDate'],
      ['a birth date in the future', (i) => { i.patient.birthDate = '2999-01-01'; }, 'patient.birthDate'],
      ['an exam date in the future', (i) => { i.date = '2999-01-01T00:00:00Z'; }, 'date'],
      ['an empty last name', (i) => { i.patient.lastName = '  '; }, 'patient.lastName'],
      ['a 300-character title', (i) => { i.title = 'x'.repeat(300); }, 'title'],
      ['an INS with a wrong key', (i) => { i.patient.ins = '261035439511800'; }, 'patient.ins'],
      ['a REPORT without its instance', (i) => { delete i.documents[1].sopInstanceUid; }, 'documents[1].sopInstanceUid'],
      ['no document', (i) => { i.documents = []; }, 'documents'],
      ['an unknown sex', (i) => { i.patient.sex = 'X'; }, 'patient.sex'],
      ['a bad modality code', (i) => { i.modalities = ['C T']; }, 'modalities'],
      ['a document listed twice', (i) => { i.documents.push(i.documents[0]); }, 'documents[2]'],
    ];
    it.each(cases)('refuses %s with BAD_USER_INPUT naming the field', async (_label, mutate, field) => {
      const input = publishInput(await storeStudy(t, nancy.facility), randomRpps(), { accessionNumber: 'BAD-1' }) as Record<string, any>;
      mutate(input);
      const before = await writtenRows(t);
      const r = await publish(nancy, input);
      expect(errorCode(r)).toBe('BAD_USER_INPUT');
      expect(r.errors?.[0]?.extensions?.field).toBe(field);
      expect(await writtenRows(t)).toEqual(before);
    });

    it('lists what is not stored yet when the images or the report were not pushed first', async () => {
      const study = await storeStudy(t, nancy.facility);
      const missingStudy = newUid();
      const missingReport = newUid();
      const input = publishInput(study, randomRpps(), { accessionNumber: 'MISSING-1' }) as Record<string, any>;
      input.documents.push({ type: 'IMAGING', title: 'Autre', date: '2025-11-20T09:30:00.000Z', studyInstanceUid: missingStudy });
      input.documents[1].sopInstanceUid = missingReport;
      const before = await writtenRows(t);
      const r = await publish(nancy, input);
      expect(errorCode(r)).toBe('BAD_USER_INPUT');
      expect(r.errors?.[0]?.extensions?.missing).toEqual([`study ${missingStudy}`, `instance ${missingReport}`]);
      expect(await writtenRows(t)).toEqual(before);
    });

    it('a failure in the middle of the transaction leaves nothing behind', async () => {
      // A database failure after the patient, record, exam and documents were written: the
      // exam_access insert is made to fail for one RPPS.
      const doomed = randomRpps();
      await sql(`create or replace function fail_for_doomed() returns trigger language plpgsql as $$
        begin if new.rpps = '${doomed}' then raise exception 'injected failure'; end if; return new; end $$`);
      await sql(`create trigger fail_for_doomed before insert on exam_access for each row execute function fail_for_doomed()`);
      try {
        const p = await physician();
        const before = await writtenRows(t);
        const r = await publish(nancy, publishInput(await storeStudy(t, nancy.facility), p.rpps, { accessionNumber: 'MIDDLE-1', correspondentRpps: [doomed], patient: { ipp: 'MIDDLE-IPP' } }));
        expect(errorCode(r)).toBe('INTERNAL_SERVER_ERROR');
        expect(JSON.stringify(r.errors)).not.toContain('injected');
        expect(await writtenRows(t)).toEqual(before);
      } finally {
        await sql(`drop trigger fail_for_doomed on exam_access`);
      }
    });
  });
});
