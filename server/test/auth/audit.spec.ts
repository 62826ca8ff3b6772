import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { TEST_PASSWORD, startTestServer, type TestServer } from '../harness.js';
import { sql, tokenIn } from './db-probe.js';

const LOGIN = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { id } }`;

interface Row {
  action: string;
  actor_kind: string;
  actor_user_id: string | null;
  target_user_id: string | null;
  outcome: string | null;
  ip: string | null;
}

describe('audit trail of account events', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t?.stop());

  const trail = (userId: string) =>
    sql<Row>(
      t,
      `select action, actor_kind, actor_user_id, target_user_id, outcome, ip from audit_event
       where actor_user_id = ? or target_user_id = ? order by at, action`,
      [userId, userId],
    );

  it('login success, failures, the lock and the attempt refused by the lock are each traced with the address', async () => {
    const { userId, email } = await t.login(Role.PHYSICIAN);
    for (let i = 0; i < 4; i++) await t.client().query(LOGIN, { e: email, p: `wrong-${i}` });
    const rows = await trail(userId);
    expect(rows.map((r) => [r.action, r.outcome])).toEqual([
      ['USER_CREATED', null],
      ['LOGIN_SUCCEEDED', null],
      ['LOGIN_FAILED', 'WRONG_PASSWORD'],
      ['LOGIN_FAILED', 'WRONG_PASSWORD'],
      ['ACCOUNT_LOCKED', 'WRONG_PASSWORD'],
      ['LOGIN_FAILED', 'LOCKED'],
    ]);
    expect(rows.find((r) => r.action === 'LOGIN_SUCCEEDED')).toMatchObject({ actor_kind: 'USER', actor_user_id: userId });
    expect(rows.filter((r) => r.action !== 'USER_CREATED').every((r) => r.ip !== null)).toBe(true);
  });

  it('a failure for an unknown e-mail is traced without the e-mail', async () => {
    const email = `ghost-${Date.now()}@test.e-mage.fr`;
    await t.client().query(LOGIN, { e: email, p: 'whatever-password' });
    const rows = await sql<{ n: number }>(t, `select count(*)::int as n from audit_event where outcome = 'UNKNOWN_ACCOUNT'`);
    expect(rows[0]!.n).toBeGreaterThanOrEqual(1);
    expect(await sql(t, `select 1 from audit_event r where strpos(r::text, ?) > 0`, [email])).toHaveLength(0);
  });

  it('a reset request, the reset and the logout are traced', async () => {
    const { userId, email, client } = await t.login(Role.PHYSICIAN);
    await client.mustQuery(`mutation { logout }`);
    await t.client().mustQuery(`mutation($e: String!) { requestPasswordReset(email: $e) }`, { e: email });
    const token = tokenIn((await t.waitForMail((m) => m.to.includes(email))).text, 'reinitialiser-mot-de-passe');
    await t.client().mustQuery(`mutation($t: String!, $p: String!) { resetPassword(token: $t, password: $p) }`, { t: token, p: 'Nouvelle-phrase-secrete-5' });
    const actions = (await trail(userId)).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['LOGOUT', 'PASSWORD_RESET_REQUESTED', 'PASSWORD_RESET']));
    expect((await t.client().query(LOGIN, { e: email, p: TEST_PASSWORD })).errors).toBeDefined();
  });
});
