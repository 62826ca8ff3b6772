import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { TEST_PASSWORD, errorCode, startTestServer, type GqlResult, type TestServer } from '../harness.js';
import { AddressedClient } from './addressed-client.js';
import { sql } from './db-probe.js';

const LOGIN = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { id } }`;

/** The answer without the lock's end, which depends on the second it was set. */
function shape(r: GqlResult): unknown {
  return r.errors?.map(({ extensions, ...rest }) => ({ ...rest, extensions: { ...extensions, lockedUntil: typeof extensions?.lockedUntil } }));
}

describe('logins cannot tell accounts apart, and a stranger cannot lock a physician out (ADR 0096)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t?.stop());

  const from = (address: string): AddressedClient => new AddressedClient(t.url, address);
  const verifiedGuesses = async (userId: string): Promise<number> =>
    (await sql<{ n: number }>(t, `select count(*)::int as n from audit_event where target_user_id = ? and outcome = 'WRONG_PASSWORD'`, [userId]))[0]!.n;

  it('a wrong password answers the same for an account and for an unknown e-mail, attempt after attempt, and both lock after 3', async () => {
    const { email } = await t.login(Role.PHYSICIAN);
    const unknown = `nobody-${Date.now()}@test.e-mage.fr`;
    for (let i = 1; i <= 2; i++) {
      const known = await t.client().query(LOGIN, { e: email, p: `wrong-${i}` });
      const other = await t.client().query(LOGIN, { e: unknown, p: `wrong-${i}` });
      expect(known.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_CREDENTIALS', remainingAttempts: 3 - i });
      expect(other).toEqual(known);
    }
    const known = await t.client().query(LOGIN, { e: email, p: 'wrong-3' });
    const other = await t.client().query(LOGIN, { e: unknown, p: 'wrong-3' });
    expect(errorCode(known)).toBe('ACCOUNT_LOCKED');
    expect(known.errors?.[0]?.extensions?.scope).toBe('CLIENT');
    expect(shape(other)).toEqual(shape(known));
    const until = (r: GqlResult): number => new Date(String(r.errors?.[0]?.extensions?.lockedUntil)).getTime();
    expect(Math.abs(until(other) - until(known))).toBeLessThan(2_000);
    expect(until(known) - Date.now()).toBeGreaterThan(4 * 60_000);

    // During the lock: the right password and any password alike.
    const knownLocked = await t.client().query(LOGIN, { e: email, p: TEST_PASSWORD });
    const otherLocked = await t.client().query(LOGIN, { e: ` ${unknown.toUpperCase()} `, p: TEST_PASSWORD });
    expect(errorCode(knownLocked)).toBe('ACCOUNT_LOCKED');
    expect(shape(otherLocked)).toEqual(shape(knownLocked));
  });

  it('a stranger at another address who guesses 20 times at once locks only themselves: the physician logs in right after', async () => {
    const { email, userId } = await t.login(Role.PHYSICIAN);
    const codes = (await Promise.all(Array.from({ length: 20 }, (_, i) => from('127.0.0.2').query(LOGIN, { e: email, p: `guess-${i}` })))).map(errorCode);
    expect(await verifiedGuesses(userId)).toBe(3);
    expect(codes.filter((c) => c === 'ACCOUNT_LOCKED')).toHaveLength(18);
    // The guide's rule holds for the one who failed: even the right password is refused there.
    expect(errorCode(await from('127.0.0.2').query(LOGIN, { e: ` ${email.toUpperCase()}`, p: TEST_PASSWORD }))).toBe('ACCOUNT_LOCKED');

    const physician = t.client();
    expect((await physician.query(LOGIN, { e: email, p: TEST_PASSWORD })).errors).toBeUndefined();
    expect((await physician.mustQuery<{ me: { email: string } }>(`{ me { email } }`)).me.email).toBe(email);
  });

  it('a stranger behind the same address locks that address, not the browser the physician logged in from before', async () => {
    const { email, client: browser } = await t.login(Role.PHYSICIAN);
    await browser.mustQuery(`mutation { logout }`);
    const device = browser.cookies.get('emage_device');
    expect(device).toBeTruthy();

    for (let i = 1; i <= 3; i++) await t.client().query(LOGIN, { e: email, p: `guess-${i}` });
    expect(errorCode(await t.client().query(LOGIN, { e: email, p: TEST_PASSWORD }))).toBe('ACCOUNT_LOCKED');
    // A made-up device cookie is an unknown browser at that address.
    const forged = t.client();
    forged.cookies.set('emage_device', 'made-up-device');
    expect(errorCode(await forged.query(LOGIN, { e: email, p: TEST_PASSWORD }))).toBe('ACCOUNT_LOCKED');

    expect((await browser.query(LOGIN, { e: email, p: TEST_PASSWORD })).errors).toBeUndefined();
    expect(browser.cookies.get('emage_device')).toBe(device);
  });

  it('the physician’s known browser is locked by its own 3 failures, like any other', async () => {
    const { email, client: browser } = await t.login(Role.PHYSICIAN);
    await browser.mustQuery(`mutation { logout }`);
    expect(errorCode(await browser.query(LOGIN, { e: email, p: 'typo-1' }))).toBe('INVALID_CREDENTIALS');
    expect(errorCode(await browser.query(LOGIN, { e: email, p: 'typo-2' }))).toBe('INVALID_CREDENTIALS');
    expect(errorCode(await browser.query(LOGIN, { e: email, p: 'typo-3' }))).toBe('ACCOUNT_LOCKED');
    expect(errorCode(await browser.query(LOGIN, { e: email, p: TEST_PASSWORD }))).toBe('ACCOUNT_LOCKED');
  });

  it('guessing from many addresses stops at 30 failures for an account and for an unknown e-mail alike; the physician’s browser still gets in', async () => {
    const { email, userId, client: browser } = await t.login(Role.PHYSICIAN);
    await browser.mustQuery(`mutation { logout }`);
    const unknown = `nobody-${Date.now()}@test.e-mage.fr`;
    for (const e of [email, unknown]) {
      for (let a = 10; a < 20; a++) {
        const codes: Array<string | undefined> = [];
        for (let i = 0; i < 3; i++) codes.push(errorCode(await from(`127.0.0.${a}`).query(LOGIN, { e, p: `guess-${a}-${i}` })));
        expect(codes).toEqual(['INVALID_CREDENTIALS', 'INVALID_CREDENTIALS', 'ACCOUNT_LOCKED']);
      }
      // A new address's first try is refused without being verified.
      const next = await from('127.0.0.20').query(LOGIN, { e, p: e === email ? TEST_PASSWORD : 'guess' });
      expect(errorCode(next)).toBe('ACCOUNT_LOCKED');
      expect(next.errors?.[0]?.extensions?.scope).toBe('NEW_CLIENTS');
      expect(new Date(String(next.errors?.[0]?.extensions?.lockedUntil)).getTime() - Date.now()).toBeGreaterThan(55 * 60_000);
    }
    expect(await verifiedGuesses(userId)).toBe(30);
    expect((await browser.query(LOGIN, { e: email, p: TEST_PASSWORD })).errors).toBeUndefined();
  });
});
