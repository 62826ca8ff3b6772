/**
 * « Mon compte » (issue 20): a person sees the sessions open on their account and ends any
 * other one, and changes their password with the current one; the other sessions end and an
 * e-mail without patient data tells them. Nobody sees or ends another account's sessions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkEm } from '../../src/bootstrap.js';
import { Role } from '../../src/modules/auth/user.entity.js';
import { errorCode, startTestServer, TEST_PASSWORD, type GqlClient, type TestServer } from '../harness.js';

const LOGIN = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { id } }`;
const SESSIONS = `{ mySessions { id device ip createdAt lastSeenAt current } }`;
const NEW_PASSWORD = 'Une-phrase-bien-plus-longue-2026';

interface Listed {
  id: string;
  device: string;
  ip: string | null;
  current: boolean;
}

describe('« Mon compte »: sessions and password', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t?.stop());

  /** A second browser of the same account, with its own User-Agent. */
  async function secondBrowser(email: string, password = TEST_PASSWORD): Promise<GqlClient> {
    const c = t.client();
    c.headers['user-agent'] = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
    await c.mustQuery(LOGIN, { e: email, p: password });
    return c;
  }

  const trail = async (userId: string, action: string) =>
    forkEm(t.deps).execute<Array<{ actor_user_id: string; outcome: string | null }>>(
      `select actor_user_id, outcome from audit_event where target_user_id = ? and action = ? order by at`,
      [userId, action],
    );

  it('lists the account’s open sessions, the current one marked, with device and address', async () => {
    const me = await t.login(Role.PHYSICIAN);
    await secondBrowser(me.email);
    const { mySessions } = await me.client.mustQuery<{ mySessions: Listed[] }>(SESSIONS);
    expect(mySessions).toHaveLength(2);
    expect(mySessions.filter((s) => s.current)).toHaveLength(1);
    expect(mySessions.map((s) => s.device)).toContain('Firefox · Windows');
    expect(mySessions.every((s) => s.ip === '127.0.0.1')).toBe(true);
  });

  it('ends another session: that browser is refused at its next request; audited', async () => {
    const me = await t.login(Role.ANALYST);
    const other = await secondBrowser(me.email);
    const { mySessions } = await me.client.mustQuery<{ mySessions: Listed[] }>(SESSIONS);
    const target = mySessions.find((s) => !s.current)!;
    expect(await me.client.mustQuery(`mutation($id: ID!) { endSession(id: $id) }`, { id: target.id })).toEqual({ endSession: true });
    expect((await other.mustQuery(`{ me { id } }`)).me).toBeNull();
    expect(errorCode(await other.query(SESSIONS))).toBe('UNAUTHENTICATED');
    expect((await me.client.mustQuery<{ mySessions: Listed[] }>(SESSIONS)).mySessions.map((s) => s.current)).toEqual([true]);
    expect(await trail(me.userId, 'SESSION_ENDED')).toEqual([expect.objectContaining({ actor_user_id: me.userId })]);
  });

  it('denied: the current session is ended by logging out, not here', async () => {
    const me = await t.login(Role.PHYSICIAN);
    const { mySessions } = await me.client.mustQuery<{ mySessions: Listed[] }>(SESSIONS);
    expect(errorCode(await me.client.query(`mutation($id: ID!) { endSession(id: $id) }`, { id: mySessions[0]!.id }))).toBe('BAD_USER_INPUT');
    expect((await me.client.mustQuery(`{ me { id } }`)).me).toEqual({ id: me.userId });
  });

  it('denied: nobody sees or ends another account’s sessions (their ids answer NOT_FOUND, the session lives on)', async () => {
    const victim = await t.login(Role.PHYSICIAN);
    const intruder = await t.login(Role.PHYSICIAN);
    const { mySessions: theirs } = await victim.client.mustQuery<{ mySessions: Listed[] }>(SESSIONS);
    const { mySessions: mine } = await intruder.client.mustQuery<{ mySessions: Listed[] }>(SESSIONS);
    expect(mine.map((s) => s.id)).not.toContain(theirs[0]!.id);
    const r = await intruder.client.query(`mutation($id: ID!) { endSession(id: $id) }`, { id: theirs[0]!.id });
    expect(errorCode(r)).toBe('NOT_FOUND');
    expect((await victim.client.mustQuery(`{ me { id } }`)).me).toEqual({ id: victim.userId });
    expect(errorCode(await intruder.client.query(`mutation { endSession(id: "not-an-id") }`))).toBe('NOT_FOUND');
    expect(errorCode(await t.client().query(SESSIONS))).toBe('UNAUTHENTICATED');
  });

  it('changes the password: the current one required, other sessions end, this one goes on, an e-mail without patient data', async () => {
    const me = await t.login(Role.PHYSICIAN);
    const other = await secondBrowser(me.email);
    const CHANGE = `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }`;

    const wrong = await me.client.query(CHANGE, { c: 'not-the-password', n: NEW_PASSWORD });
    expect(errorCode(wrong)).toBe('INVALID_CREDENTIALS');
    expect(wrong.errors?.[0]?.extensions?.field).toBe('currentPassword');
    expect(errorCode(await me.client.query(CHANGE, { c: TEST_PASSWORD, n: 'court' }))).toBe('WEAK_PASSWORD');
    // Nothing changed: the other browser is still in, the old password still works.
    expect((await other.mustQuery(`{ me { id } }`)).me).toEqual({ id: me.userId });

    expect(await me.client.mustQuery(CHANGE, { c: TEST_PASSWORD, n: NEW_PASSWORD })).toEqual({ changePassword: true });
    expect((await other.mustQuery(`{ me { id } }`)).me).toBeNull();
    expect((await me.client.mustQuery(`{ me { id } }`)).me).toEqual({ id: me.userId });
    expect(errorCode(await t.client().query(LOGIN, { e: me.email, p: TEST_PASSWORD }))).toBe('INVALID_CREDENTIALS');
    await t.client().mustQuery(LOGIN, { e: me.email, p: NEW_PASSWORD });

    const mail = await t.waitForMail((m) => m.to.includes(me.email) && /mot de passe a été modifié/.test(m.subject));
    expect(mail.subject).toBe('e-mage : votre mot de passe a été modifié');
    expect(mail.text).toContain('Votre mot de passe a été modifié');
    expect(mail.text).not.toMatch(/patient|examen|RPPS/i);
    expect(mail.text).not.toContain(NEW_PASSWORD);
    expect(await trail(me.userId, 'PASSWORD_CHANGED')).toEqual([expect.objectContaining({ actor_user_id: me.userId, outcome: '1 other sessions ended' })]);
  });

  it('denied: changing the password needs a session', async () => {
    const r = await t.client().query(`mutation { changePassword(currentPassword: "x", newPassword: "y") }`);
    expect(errorCode(r)).toBe('UNAUTHENTICATED');
  });
});
