import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { errorCode, randomRpps, startTestServer, type GqlClient, type TestServer } from '../harness.js';
import { outboxSettled, sql, tablesContaining, tokenIn } from './db-probe.js';

const REQUEST = `mutation($i: AccountRequestInput!) { requestAccount(input: $i) }`;
const LIST = `query($s: AccountRequestStatus) { accountRequests(status: $s) { id email rpps status rejectionReason decidedAt } }`;
const APPROVE = `mutation($id: ID!) { approveAccountRequest(id: $id) { id status } }`;
const REJECT = `mutation($id: ID!, $r: String) { rejectAccountRequest(id: $id, reason: $r) { id status rejectionReason } }`;
const ACTIVATE = `mutation($t: String!, $p: String!) { activateAccount(token: $t, password: $p) }`;
const LOGIN = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { id rpps } }`;
const PASSWORD = 'Ma-phrase-de-passe-du-cabinet-1';

let seq = 0;
function input(overrides: Record<string, unknown> = {}) {
  seq++;
  return { firstName: 'Jeanne', lastName: `Durand${seq}`, email: `jeanne.durand${seq}-${Date.now()}@test.e-mage.fr`, rpps: randomRpps(), phone: '03 83 00 00 00', ...overrides };
}

describe('account requests, approval and activation (guide §2)', () => {
  let t: TestServer;
  let admin: GqlClient;
  beforeAll(async () => {
    t = await startTestServer();
    admin = (await t.login(Role.ADMIN)).client;
  });
  afterAll(() => t?.stop());

  /** The pending request for `email`, as the administrator sees it once stored (right after the answer: ADR 0096). */
  async function requestId(email: string): Promise<string> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const list = await admin.mustQuery<{ accountRequests: Array<{ id: string; email: string }> }>(LIST, { s: 'PENDING' });
      const found = list.accountRequests.find((r) => r.email === email);
      if (found) return found.id;
      if (Date.now() > deadline) throw new Error(`No pending request for ${email}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it.each([
    ['rpps', { rpps: '10000000000' }],
    ['rpps', { rpps: '1234' }],
    ['email', { email: 'jeanne@' }],
    ['firstName', { firstName: '  ' }],
    ['phone', { phone: 'call me' }],
  ])('refuses a bad %s with BAD_USER_INPUT on that field and stores nothing', async (field, bad) => {
    const data = input(bad);
    const r = await t.client().query(REQUEST, { i: data });
    expect(errorCode(r)).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0]?.extensions?.field).toBe(field);
    expect(await sql(t, `select 1 from account_request where last_name = ?`, [data.lastName])).toHaveLength(0);
  });

  it('approval creates the account without a password and mails a single-use activation link', async () => {
    const data = input();
    expect(await t.client().mustQuery(REQUEST, { i: { ...data, rpps: data.rpps.replace(/(\d{3})/g, '$1 ') } })).toEqual({ requestAccount: true });
    const id = await requestId(data.email);
    expect(await admin.mustQuery(APPROVE, { id })).toEqual({ approveAccountRequest: { id, status: 'APPROVED' } });

    const users = await sql<{ status: string; password_hash: string | null; rpps: string }>(t, `select status, password_hash, rpps from app_user where email = ?`, [data.email]);
    expect(users).toEqual([{ status: 'PENDING_ACTIVATION', password_hash: null, rpps: data.rpps }]);

    const mail = await t.waitForMail((m) => m.to.includes(data.email));
    const token = tokenIn(mail.text, 'activation');
    expect(mail.text).not.toMatch(/mot de passe\s*:/i);
    expect(errorCode(await t.client().query(LOGIN, { e: data.email, p: PASSWORD }))).toBe('INVALID_CREDENTIALS');

    expect(await t.client().mustQuery(ACTIVATE, { t: token, p: PASSWORD })).toEqual({ activateAccount: true });
    expect(errorCode(await t.client().query(ACTIVATE, { t: token, p: PASSWORD }))).toBe('INVALID_TOKEN');
    await outboxSettled(t, data.email);
    expect(await tablesContaining(t, token)).toEqual([]);
    const me = await t.client().mustQuery<{ login: { rpps: string } }>(LOGIN, { e: data.email, p: PASSWORD });
    expect(me.login.rpps).toBe(data.rpps);

    const audit = await sql(t, `select 1 from audit_event where action = 'ACCOUNT_REQUEST_APPROVED'`);
    expect(audit.length).toBeGreaterThanOrEqual(1);
  });

  it('activation grants the exam rights published for the RPPS before the account existed', async () => {
    const data = input();
    await t.client().mustQuery(REQUEST, { i: data });
    const [exam] = await sql<{ id: string }>(
      t,
      `with f as (insert into facility (id, name, finess, created_at) values (gen_random_uuid(), 'Centre test', '540000015', now()) returning id),
            p as (insert into patient (id, last_name, first_name, search_name, created_at, updated_at) values (gen_random_uuid(), 'X', 'Y', 'x y', now(), now()) returning id)
       insert into exam (id, patient_id, facility_id, accession_number, title, date, modalities, published_at, updated_at)
       select gen_random_uuid(), p.id, f.id, 'ACC-1', 'Scanner', now(), '{CT}', now(), now() from f, p returning id`,
    );
    await sql(t, `insert into exam_access (id, exam_id, physician_id, rpps, role, granted_at) values (gen_random_uuid(), ?, null, ?, 'PRESCRIBER', now())`, [exam!.id, data.rpps]);

    await admin.mustQuery(APPROVE, { id: await requestId(data.email) });
    const token = tokenIn((await t.waitForMail((m) => m.to.includes(data.email))).text, 'activation');
    await t.client().mustQuery(ACTIVATE, { t: token, p: PASSWORD });
    const access = await sql<{ email: string | null }>(
      t,
      `select u.email from exam_access a left join app_user u on u.id = a.physician_id where a.exam_id = ?`,
      [exam!.id],
    );
    expect(access).toEqual([{ email: data.email }]);
  });

  it('a weak activation password is refused with WEAK_PASSWORD and the link stays usable', async () => {
    const data = input();
    await t.client().mustQuery(REQUEST, { i: data });
    await admin.mustQuery(APPROVE, { id: await requestId(data.email) });
    const token = tokenIn((await t.waitForMail((m) => m.to.includes(data.email))).text, 'activation');
    expect(errorCode(await t.client().query(ACTIVATE, { t: token, p: 'Password2024' }))).toBe('WEAK_PASSWORD');
    expect((await t.client().query(ACTIVATE, { t: token, p: PASSWORD })).errors).toBeUndefined();
  });

  it('rejection records the reason, mails the applicant and creates no account; a decided request cannot be decided again', async () => {
    const data = input();
    await t.client().mustQuery(REQUEST, { i: data });
    const id = await requestId(data.email);
    const r = await admin.mustQuery(REJECT, { id, r: 'RPPS inconnu' });
    expect(r).toEqual({ rejectAccountRequest: { id, status: 'REJECTED', rejectionReason: 'RPPS inconnu' } });
    await t.waitForMail((m) => m.to.includes(data.email) && /RPPS inconnu/.test(m.text));
    expect(await sql(t, `select 1 from app_user where email = ?`, [data.email])).toHaveLength(0);
    expect(errorCode(await admin.query(APPROVE, { id }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await admin.query(REJECT, { id }))).toBe('BAD_USER_INPUT');
  });

  it('an unknown or malformed id is NOT_FOUND', async () => {
    expect(errorCode(await admin.query(APPROVE, { id: '00000000-0000-4000-8000-000000000000' }))).toBe('NOT_FOUND');
    expect(errorCode(await admin.query(REJECT, { id: 'nope' }))).toBe('NOT_FOUND');
  });

  it('the same answer whether or not the e-mail already has an account or a pending request', async () => {
    const { email } = await t.login(Role.PHYSICIAN);
    const data = input({ email });
    expect(await t.client().query(REQUEST, { i: data })).toEqual(await t.client().query(REQUEST, { i: input() }));
    expect(await t.client().query(REQUEST, { i: data })).toEqual({ status: 200, data: { requestAccount: true } });
    expect(errorCode(await admin.query(APPROVE, { id: await requestId(email) }))).toBe('BAD_USER_INPUT');
  });
});
