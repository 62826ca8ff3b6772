import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { TEST_PASSWORD, errorCode, startTestServer, type TestServer } from '../harness.js';

const LOGIN = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { id email role } }`;

describe('login and lockout (guide §2)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ LOCKOUT_MINUTES: '0.05' /* 3 s, so the test can see the lock end */ });
  });
  afterAll(() => t?.stop());

  it('logs in with e-mail and password and sets an HttpOnly session cookie', async () => {
    const { email } = await t.login(Role.PHYSICIAN);
    const c = t.client();
    const res = await c.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: LOGIN, variables: { e: email.toUpperCase(), p: TEST_PASSWORD } }),
    });
    const cookie = res.headers.getSetCookie().find((l) => l.startsWith('emage_session='));
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    const me = await c.mustQuery<{ me: { email: string } }>(`{ me { email } }`);
    expect(me.me.email).toBe(email);
  });

  it('refuses a wrong password with INVALID_CREDENTIALS and an unknown e-mail the same way', async () => {
    const { email } = await t.login(Role.PHYSICIAN);
    const wrong = await t.client().query(LOGIN, { e: email, p: 'not-the-password' });
    const unknown = await t.client().query(LOGIN, { e: 'nobody@test.e-mage.fr', p: 'not-the-password' });
    expect(errorCode(wrong)).toBe('INVALID_CREDENTIALS');
    expect(errorCode(unknown)).toBe('INVALID_CREDENTIALS');
    expect(wrong.errors?.[0]?.message).toBe(unknown.errors?.[0]?.message);
  });

  it('locks the account after 3 failures, refuses the right password during the lock, accepts it after', async () => {
    const { email } = await t.login(Role.PHYSICIAN);
    const c = t.client();
    expect(errorCode(await c.query(LOGIN, { e: email, p: 'wrong-1' }))).toBe('INVALID_CREDENTIALS');
    expect(errorCode(await c.query(LOGIN, { e: email, p: 'wrong-2' }))).toBe('INVALID_CREDENTIALS');
    const third = await c.query(LOGIN, { e: email, p: 'wrong-3' });
    expect(errorCode(third)).toBe('ACCOUNT_LOCKED');
    const lockedUntil = new Date(String(third.errors?.[0]?.extensions?.lockedUntil));
    expect(lockedUntil.getTime()).toBeGreaterThan(Date.now());

    const during = await c.query(LOGIN, { e: email, p: TEST_PASSWORD });
    expect(errorCode(during)).toBe('ACCOUNT_LOCKED');
    expect((await c.query(`{ me { id } }`)).data?.me).toBeNull();

    await new Promise((r) => setTimeout(r, Math.max(0, lockedUntil.getTime() - Date.now()) + 100));
    const after = await c.query(LOGIN, { e: email, p: TEST_PASSWORD });
    expect(after.errors).toBeUndefined();
    expect((await c.mustQuery<{ me: { email: string } }>(`{ me { email } }`)).me.email).toBe(email);
  });

  it('20 parallel wrong guesses verify at most 3 and never allow a 4th guess', async () => {
    const { email, userId } = await t.login(Role.PHYSICIAN);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => t.client().query(LOGIN, { e: email, p: `wrong-parallel-${i}` })),
    );
    const codes = results.map(errorCode);
    expect(codes.every((c) => c === 'INVALID_CREDENTIALS' || c === 'ACCOUNT_LOCKED')).toBe(true);
    // Each verified guess writes one WRONG_PASSWORD trace; refused ones are traced as LOCKED.
    const em = t.deps.orm.em.fork();
    const verified = await em.getConnection().execute(
      `select count(*)::int as n from audit_event where target_user_id = ? and outcome = 'WRONG_PASSWORD'`,
      [userId],
    );
    expect(verified[0]!.n).toBeLessThanOrEqual(3);
    expect(codes.filter((c) => c === 'ACCOUNT_LOCKED').length).toBeGreaterThanOrEqual(17);
    // And the right password is refused while locked: no 4th guess, even a correct one.
    expect(errorCode(await t.client().query(LOGIN, { e: email, p: TEST_PASSWORD }))).toBe('ACCOUNT_LOCKED');
  });

  it('a successful login resets the failure counter', async () => {
    const { email } = await t.login(Role.PHYSICIAN);
    const c = t.client();
    await c.query(LOGIN, { e: email, p: 'wrong-a' });
    await c.query(LOGIN, { e: email, p: 'wrong-b' });
    expect((await c.query(LOGIN, { e: email, p: TEST_PASSWORD })).errors).toBeUndefined();
    expect(errorCode(await c.query(LOGIN, { e: email, p: 'wrong-c' }))).toBe('INVALID_CREDENTIALS');
    expect(errorCode(await c.query(LOGIN, { e: email, p: 'wrong-d' }))).toBe('INVALID_CREDENTIALS');
  });
});
