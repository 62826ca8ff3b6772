/**
 * Second factor (issue 20, ADR 0127): TOTP enrolled with a code from the app, asked after the
 * password, never accepted twice; wrong codes count toward the guide's lockout; ten recovery
 * codes each work once; administrators and analysts must enrol before anything else is reachable
 * (MFA_STAFF=required); removing a factor asks for the password; an administrator resets a
 * person's factors and the person is told.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkEm } from '../../src/bootstrap.js';
import { createUser } from '../../src/modules/auth/auth.service.js';
import { totpCode } from '../../src/modules/auth/account/totp.js';
import { Role } from '../../src/modules/auth/user.entity.js';
import { errorCode, startTestServer, TEST_PASSWORD, type GqlClient, type TestServer } from '../harness.js';

const LOGIN = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { id } }`;
const VERIFY = `mutation($c: String!) { verifySecondFactor(code: $c) { id role } }`;
const START = `mutation { startTotpEnrolment { secret otpauthUri qrCodeDataUrl } }`;
const CONFIRM = `mutation($c: String!) { confirmTotpEnrolment(code: $c) { recoveryCodes me { id } } }`;
const SECURITY = `{ accountSecurity { factors { id kind label } recoveryCodesLeft secondFactorRequired } }`;

/** The code an app shows `steps` 30-second steps from now (the server accepts one step either side). */
const code = (secret: string, steps = 0): string => totpCode(secret, Date.now() + steps * 30_000);

describe('second factor: TOTP and recovery codes', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ LOCKOUT_ATTEMPTS: '3', LOCKOUT_MINUTES: '5' });
  });
  afterAll(() => t?.stop());

  /** A physician with an authenticator app enrolled from « Mon compte »; returns its secret and codes. */
  async function enrolled(): Promise<{ email: string; userId: string; client: GqlClient; secret: string; recoveryCodes: string[] }> {
    const me = await t.login(Role.PHYSICIAN);
    const { startTotpEnrolment } = await me.client.mustQuery(START);
    const { confirmTotpEnrolment } = await me.client.mustQuery(CONFIRM, { c: code(startTotpEnrolment.secret) });
    return { ...me, secret: startTotpEnrolment.secret, recoveryCodes: confirmTotpEnrolment.recoveryCodes };
  }

  it('enrols an app from « Mon compte »: QR code and key, confirmed by a code; ten recovery codes once; the owner told', async () => {
    const me = await t.login(Role.PHYSICIAN);
    const { startTotpEnrolment: e } = await me.client.mustQuery(START);
    expect(e.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(e.otpauthUri).toBe(`otpauth://totp/e-mage%3A${encodeURIComponent(me.email)}?secret=${e.secret}&issuer=e-mage&algorithm=SHA1&digits=6&period=30`);
    expect(Buffer.from(e.qrCodeDataUrl.replace('data:image/svg+xml;base64,', ''), 'base64').toString()).toContain('<svg');
    // Not in force before it is confirmed: the password alone still logs in.
    await t.client().mustQuery(LOGIN, { e: me.email, p: TEST_PASSWORD });

    const wrong = await me.client.query(CONFIRM, { c: code(e.secret, 3) });
    expect(errorCode(wrong)).toBe('INVALID_SECOND_FACTOR');
    const { confirmTotpEnrolment } = await me.client.mustQuery(CONFIRM, { c: code(e.secret) });
    expect(confirmTotpEnrolment.me).toBeNull();
    expect(confirmTotpEnrolment.recoveryCodes).toHaveLength(10);
    expect(new Set(confirmTotpEnrolment.recoveryCodes).size).toBe(10);
    const { accountSecurity } = await me.client.mustQuery(SECURITY);
    expect(accountSecurity).toEqual({ factors: [expect.objectContaining({ kind: 'TOTP' })], recoveryCodesLeft: 10, secondFactorRequired: false });
    // Stored hashed: no code in clear in the table.
    const stored = await forkEm(t.deps).execute<Array<{ code_hash: string }>>(`select code_hash from recovery_code where user_id = ?`, [me.userId]);
    expect(stored.map((r) => r.code_hash)).not.toContain(confirmTotpEnrolment.recoveryCodes[0]);
    const mail = await t.waitForMail((m) => m.to.includes(me.email) && /application d’authentification/.test(m.subject));
    expect(mail.text).not.toContain(e.secret);
  });

  it('asks for the code after the password: no session before it, a session after; a code is never accepted twice', async () => {
    const me = await enrolled();
    const browser = t.client();
    const r = await browser.query(LOGIN, { e: me.email, p: TEST_PASSWORD });
    expect(errorCode(r)).toBe('SECOND_FACTOR_REQUIRED');
    expect(r.errors?.[0]?.extensions?.methods).toEqual(['TOTP']);
    expect((await browser.mustQuery(`{ me { id } }`)).me).toBeNull();
    expect(errorCode(await browser.query(`{ mySessions { id } }`))).toBe('UNAUTHENTICATED');

    // The enrolment's own code (this step) is spent; the next step's is not.
    expect(errorCode(await browser.query(VERIFY, { c: code(me.secret) }))).toBe('INVALID_SECOND_FACTOR');
    const next = code(me.secret, 1);
    expect((await browser.mustQuery(VERIFY, { c: next })).verifySecondFactor).toEqual({ id: me.userId, role: 'PHYSICIAN' });
    expect((await browser.mustQuery(`{ me { id } }`)).me).toEqual({ id: me.userId });

    // Replayed by someone else who saw it, with the password: refused.
    const thief = t.client();
    expect(errorCode(await thief.query(LOGIN, { e: me.email, p: TEST_PASSWORD }))).toBe('SECOND_FACTOR_REQUIRED');
    expect(errorCode(await thief.query(VERIFY, { c: next }))).toBe('INVALID_SECOND_FACTOR');
    expect((await thief.mustQuery(`{ me { id } }`)).me).toBeNull();
  });

  it('denied: the second step without a pending login, or after the login was completed', async () => {
    expect(errorCode(await t.client().query(VERIFY, { c: '123456' }))).toBe('UNAUTHENTICATED');
    const me = await enrolled();
    const browser = t.client();
    await browser.query(LOGIN, { e: me.email, p: TEST_PASSWORD });
    await browser.mustQuery(VERIFY, { c: code(me.secret, 1) });
    expect(errorCode(await browser.query(VERIFY, { c: me.recoveryCodes[0]! }))).toBe('UNAUTHENTICATED');
  });

  it('wrong codes count toward the lockout: the third locks, and then even the right code is refused', async () => {
    const me = await enrolled();
    const browser = t.client();
    expect(errorCode(await browser.query(LOGIN, { e: me.email, p: TEST_PASSWORD }))).toBe('SECOND_FACTOR_REQUIRED');
    const first = await browser.query(VERIFY, { c: '000000' === code(me.secret, 1) ? '111111' : '000000' });
    expect(errorCode(first)).toBe('INVALID_SECOND_FACTOR');
    expect(first.errors?.[0]?.extensions?.remainingAttempts).toBe(2);
    expect(errorCode(await browser.query(VERIFY, { c: 'aaaa-bbbb-cccc' }))).toBe('INVALID_SECOND_FACTOR');
    const third = await browser.query(VERIFY, { c: code(me.secret, 5) });
    expect(errorCode(third)).toBe('ACCOUNT_LOCKED');
    expect(errorCode(await browser.query(VERIFY, { c: code(me.secret, 1) }))).toBe('ACCOUNT_LOCKED');
    expect(errorCode(await browser.query(LOGIN, { e: me.email, p: TEST_PASSWORD }))).toBe('ACCOUNT_LOCKED');
    const trail = await forkEm(t.deps).execute<Array<{ action: string; outcome: string }>>(
      `select action, outcome from audit_event where target_user_id = ? and action in ('LOGIN_FAILED', 'ACCOUNT_LOCKED') order by at`,
      [me.userId],
    );
    expect(trail.map((e) => `${e.action}:${e.outcome}`)).toEqual([
      'LOGIN_FAILED:WRONG_SECOND_FACTOR', 'LOGIN_FAILED:WRONG_SECOND_FACTOR', 'ACCOUNT_LOCKED:WRONG_SECOND_FACTOR', 'LOGIN_FAILED:LOCKED', 'LOGIN_FAILED:LOCKED',
    ]);
  });

  it('a right password is no failure: two wrong codes, then the password again and a right code get in', async () => {
    const me = await enrolled();
    const browser = t.client();
    await browser.query(LOGIN, { e: me.email, p: TEST_PASSWORD });
    await browser.query(VERIFY, { c: 'zzzz-zzzz-zzzz' });
    await browser.query(VERIFY, { c: 'yyyy-yyyy-yyyy' });
    expect(errorCode(await browser.query(LOGIN, { e: me.email, p: TEST_PASSWORD }))).toBe('SECOND_FACTOR_REQUIRED');
    expect((await browser.mustQuery(VERIFY, { c: code(me.secret, 1) })).verifySecondFactor.id).toBe(me.userId);
  });

  it('a recovery code works once', async () => {
    const me = await enrolled();
    const [recovery] = me.recoveryCodes;
    const a = t.client();
    await a.query(LOGIN, { e: me.email, p: TEST_PASSWORD });
    expect((await a.mustQuery(VERIFY, { c: recovery!.toUpperCase() })).verifySecondFactor.id).toBe(me.userId);
    const b = t.client();
    await b.query(LOGIN, { e: me.email, p: TEST_PASSWORD });
    expect(errorCode(await b.query(VERIFY, { c: recovery! }))).toBe('INVALID_SECOND_FACTOR');
    expect((await me.client.mustQuery(SECURITY)).accountSecurity.recoveryCodesLeft).toBe(9);
  });

  it('removing a factor asks for the password; another account’s factor is not found', async () => {
    const me = await enrolled();
    const other = await t.login(Role.PHYSICIAN);
    const { accountSecurity } = await me.client.mustQuery(SECURITY);
    const id = accountSecurity.factors[0].id;
    const REMOVE = `mutation($id: ID!, $p: String!) { removeSecondFactor(id: $id, password: $p) }`;
    expect(errorCode(await other.client.query(REMOVE, { id, p: TEST_PASSWORD }))).toBe('NOT_FOUND');
    expect(errorCode(await me.client.query(REMOVE, { id, p: 'wrong-password' }))).toBe('INVALID_CREDENTIALS');
    expect((await me.client.mustQuery(SECURITY)).accountSecurity.factors).toHaveLength(1);
    expect(await me.client.mustQuery(REMOVE, { id, p: TEST_PASSWORD })).toEqual({ removeSecondFactor: true });
    expect((await me.client.mustQuery(SECURITY)).accountSecurity).toMatchObject({ factors: [], recoveryCodesLeft: 0 });
    await t.client().mustQuery(LOGIN, { e: me.email, p: TEST_PASSWORD });
  });

  it('an administrator resets a person’s second factor: audited, the person told, their password alone logs in', async () => {
    const admin = await t.login(Role.ADMIN);
    const me = await enrolled();
    const RESET = `mutation($id: ID!) { resetSecondFactor(id: $id) { id secondFactor } }`;
    const listed = await admin.client.mustQuery(`query($s: String) { users(search: $s) { id secondFactor } }`, { s: me.email });
    expect(listed.users).toEqual([{ id: me.userId, secondFactor: true }]);
    expect(errorCode(await me.client.query(RESET, { id: me.userId }))).toBe('FORBIDDEN');
    expect(await admin.client.mustQuery(RESET, { id: me.userId })).toEqual({ resetSecondFactor: { id: me.userId, secondFactor: false } });
    await t.client().mustQuery(LOGIN, { e: me.email, p: TEST_PASSWORD });
    const mail = await t.waitForMail((m) => m.to.includes(me.email) && /administrateur a réinitialisé/.test(m.subject));
    expect(mail.text).not.toMatch(/patient|examen/i);
    const [event] = await forkEm(t.deps).execute<Array<{ actor_user_id: string }>>(
      `select actor_user_id from audit_event where target_user_id = ? and action = 'SECOND_FACTOR_RESET'`,
      [me.userId],
    );
    expect(event?.actor_user_id).toBe(admin.userId);
    expect(errorCode(await admin.client.query(RESET, { id: me.userId }))).toBe('BAD_USER_INPUT');
  });
});

describe('second factor required for administrators and analysts (MFA_STAFF=required)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ MFA_STAFF: 'required' });
  });
  afterAll(() => t?.stop());

  it('an administrator without one must enrol before anything else; enrolling opens the session', async () => {
    const email = `admin-mfa-${Date.now()}@test.e-mage.fr`;
    await createUser(forkEm(t.deps), t.deps.config, { email, role: Role.ADMIN, firstName: 'A', lastName: 'Dmin', password: TEST_PASSWORD });
    const browser = t.client();
    expect(errorCode(await browser.query(LOGIN, { e: email, p: TEST_PASSWORD }))).toBe('SECOND_FACTOR_ENROLMENT_REQUIRED');
    expect((await browser.mustQuery(`{ me { id } }`)).me).toBeNull();
    expect(errorCode(await browser.query(`{ users { id } }`))).toBe('UNAUTHENTICATED');
    // The held login is for enrolling, not for the code step.
    expect(errorCode(await browser.query(VERIFY, { c: '123456' }))).toBe('UNAUTHENTICATED');

    const { startTotpEnrolment } = await browser.mustQuery(START);
    const { confirmTotpEnrolment } = await browser.mustQuery(CONFIRM, { c: code(startTotpEnrolment.secret) });
    expect(confirmTotpEnrolment.recoveryCodes).toHaveLength(10);
    expect(confirmTotpEnrolment.me).not.toBeNull();
    expect((await browser.mustQuery(`{ users(search: "admin-mfa") { email } }`)).users).toEqual([{ email }]);
    // Its last factor cannot be removed: the role requires one.
    const { accountSecurity } = await browser.mustQuery(SECURITY);
    expect(accountSecurity.secondFactorRequired).toBe(true);
    const r = await browser.query(`mutation($id: ID!, $p: String!) { removeSecondFactor(id: $id, password: $p) }`, { id: accountSecurity.factors[0].id, p: TEST_PASSWORD });
    expect(errorCode(r)).toBe('BAD_USER_INPUT');
    // The next login asks for the code.
    expect(errorCode(await t.client().query(LOGIN, { e: email, p: TEST_PASSWORD }))).toBe('SECOND_FACTOR_REQUIRED');
  });

  it('a physician logs in with the password alone (MFA_PHYSICIANS defaults to optional)', async () => {
    const { client } = await t.login(Role.PHYSICIAN);
    expect((await client.mustQuery(`{ me { role } }`)).me).toEqual({ role: 'PHYSICIAN' });
  });

  it('denied: enrolling without a session or a held login', async () => {
    expect(errorCode(await t.client().query(START))).toBe('UNAUTHENTICATED');
    expect(errorCode(await t.client().query(CONFIRM, { c: '123456' }))).toBe('UNAUTHENTICATED');
  });
});

describe('passkeys: ceremonies and denials', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ LOCKOUT_ATTEMPTS: '3', LOCKOUT_MINUTES: '5' });
  });
  afterAll(() => t?.stop());

  const START_ENROL = `mutation { startPasskeyEnrolment }`;
  const CONFIRM_ENROL = `mutation($r: String!) { confirmPasskeyEnrolment(response: $r) { recoveryCodes } }`;
  const START_LOGIN = `mutation { startPasskeyLogin }`;
  const VERIFY_LOGIN = `mutation($r: String!) { verifyPasskeyLogin(response: $r) { id } }`;

  it('enrolment options name this portal as relying party and the person, with a fresh challenge', async () => {
    const me = await t.login(Role.PHYSICIAN);
    const a = JSON.parse((await me.client.mustQuery(START_ENROL)).startPasskeyEnrolment);
    const b = JSON.parse((await me.client.mustQuery(START_ENROL)).startPasskeyEnrolment);
    expect(a.rp).toEqual({ name: 'e-mage', id: '127.0.0.1' });
    expect(a.user.name).toBe(me.email);
    expect(a.attestation).toBe('none');
    expect(a.challenge).not.toBe(b.challenge);
  });

  it('denied: an answer that is not a verified WebAuthn response enrols nothing', async () => {
    const me = await t.login(Role.PHYSICIAN);
    expect(errorCode(await me.client.query(CONFIRM_ENROL, { r: '{}' }))).toBe('BAD_USER_INPUT');
    await me.client.mustQuery(START_ENROL);
    expect(errorCode(await me.client.query(CONFIRM_ENROL, { r: 'not json' }))).toBe('BAD_USER_INPUT');
    const forged = JSON.stringify({ id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: { clientDataJSON: 'AAAA', attestationObject: 'AAAA' }, clientExtensionResults: {} });
    expect(errorCode(await me.client.query(CONFIRM_ENROL, { r: forged }))).toBe('INVALID_SECOND_FACTOR');
    // The challenge was used up by that answer: it cannot be retried.
    expect(errorCode(await me.client.query(CONFIRM_ENROL, { r: forged }))).toBe('BAD_USER_INPUT');
    expect((await me.client.mustQuery(SECURITY)).accountSecurity.factors).toEqual([]);
    expect(errorCode(await t.client().query(START_ENROL))).toBe('UNAUTHENTICATED');
  });

  it('denied: the passkey step needs a pending login, and a forged answer counts toward the lockout', async () => {
    expect(errorCode(await t.client().query(START_LOGIN))).toBe('UNAUTHENTICATED');
    expect(errorCode(await t.client().query(VERIFY_LOGIN, { r: '{}' }))).toBe('UNAUTHENTICATED');

    const me = await t.login(Role.PHYSICIAN);
    const { startTotpEnrolment } = await me.client.mustQuery(START);
    await me.client.mustQuery(CONFIRM, { c: code(startTotpEnrolment.secret) });
    const browser = t.client();
    expect(errorCode(await browser.query(LOGIN, { e: me.email, p: TEST_PASSWORD }))).toBe('SECOND_FACTOR_REQUIRED');
    // This account has an app, no passkey: nothing to ask the browser for.
    expect(errorCode(await browser.query(START_LOGIN))).toBe('BAD_USER_INPUT');
    const forged = JSON.stringify({ id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: { clientDataJSON: 'AAAA', authenticatorData: 'AAAA', signature: 'AAAA' }, clientExtensionResults: {} });
    const r = await browser.query(VERIFY_LOGIN, { r: forged });
    expect(errorCode(r)).toBe('INVALID_SECOND_FACTOR');
    expect(r.errors?.[0]?.extensions?.remainingAttempts).toBe(2);
    expect((await browser.mustQuery(`{ me { id } }`)).me).toBeNull();
  });
});
