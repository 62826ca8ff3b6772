import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { TEST_PASSWORD, errorCode, startTestServer, type TestServer } from '../harness.js';
import { outboxSettled, rowsOnceThere, sql, tablesContaining, tokenIn } from './db-probe.js';

const REQUEST = `mutation($e: String!) { requestPasswordReset(email: $e) }`;
const RESET = `mutation($t: String!, $p: String!) { resetPassword(token: $t, password: $p) }`;
const LOGIN = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { id } }`;
const NEW_PASSWORD = 'Une-phrase-de-passe-neuve-9';

describe('forgot password (guide §2)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ PASSWORD_RESET_TTL_MINUTES: '30' });
  });
  afterAll(() => t?.stop());

  async function resetLink(email: string): Promise<string> {
    await t.client().mustQuery(REQUEST, { e: email });
    const mail = await t.waitForMail((m) => m.to.includes(email) && /réinitialisation/.test(m.subject));
    return tokenIn(mail.text, 'reinitialiser-mot-de-passe');
  }

  it('answers the same for a known and an unknown e-mail, and mails only the known one, once', async () => {
    const { email } = await t.login(Role.PHYSICIAN);
    const unknown = `nobody-${Date.now()}@test.e-mage.fr`;
    const known = await t.client().query(REQUEST, { e: email });
    const other = await t.client().query(REQUEST, { e: unknown });
    expect(known).toEqual(other);
    expect(known.data).toEqual({ requestPasswordReset: true });

    await t.waitForMail((m) => m.to.includes(email));
    await t.deps.outbox.drainOnce();
    expect(t.catcher.messages().filter((m) => m.to.includes(email))).toHaveLength(1);
    expect(t.catcher.messages().filter((m) => m.to.includes(unknown))).toHaveLength(0);
    expect(await sql(t, `select 1 from outbox_message where "to" = ?`, [unknown])).toHaveLength(0);
  });

  it('refuses a malformed e-mail with BAD_USER_INPUT on the field', async () => {
    const r = await t.client().query(REQUEST, { e: 'not-an-email' });
    expect(errorCode(r)).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0]?.extensions?.field).toBe('email');
  });

  it('stores the token hashed, expires it after PASSWORD_RESET_TTL_MINUTES, and keeps no plaintext once the mail left', async () => {
    const { email, userId } = await t.login(Role.PHYSICIAN);
    const token = await resetLink(email);
    const rows = await sql<{ token_hash: string; ttl_minutes: number }>(
      t,
      `select token_hash, extract(epoch from expires_at - created_at) / 60 as ttl_minutes from user_token where user_id = ? and purpose = 'PASSWORD_RESET'`,
      [userId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(Number(rows[0]!.ttl_minutes)).toBeCloseTo(30, 1);
    await outboxSettled(t, email);
    expect(await tablesContaining(t, token)).toEqual([]);
    await t.client().mustQuery(RESET, { t: token, p: NEW_PASSWORD });
  });

  it('refuses an expired link with INVALID_TOKEN and keeps the old password', async () => {
    const { email, userId } = await t.login(Role.PHYSICIAN);
    const token = await resetLink(email);
    await sql(t, `update user_token set expires_at = now() - interval '1 second' where user_id = ?`, [userId]);
    expect(errorCode(await t.client().query(RESET, { t: token, p: NEW_PASSWORD }))).toBe('INVALID_TOKEN');
    expect((await t.client().query(LOGIN, { e: email, p: TEST_PASSWORD })).errors).toBeUndefined();
  });

  it('a link works once: the second use is INVALID_TOKEN; the new password logs in, the old one not', async () => {
    const { email } = await t.login(Role.PHYSICIAN);
    const token = await resetLink(email);
    expect(await t.client().mustQuery(RESET, { t: token, p: NEW_PASSWORD })).toEqual({ resetPassword: true });
    expect(errorCode(await t.client().query(RESET, { t: token, p: 'Encore-une-autre-phrase-3' }))).toBe('INVALID_TOKEN');
    expect(errorCode(await t.client().query(LOGIN, { e: email, p: TEST_PASSWORD }))).toBe('INVALID_CREDENTIALS');
    expect((await t.client().query(LOGIN, { e: email, p: NEW_PASSWORD })).errors).toBeUndefined();
  });

  it('a newer link supersedes the older one, and a superseded mail not sent yet is cancelled without its token', async () => {
    const { email } = await t.login(Role.PHYSICIAN);
    const first = await resetLink(email);
    await t.client().mustQuery(REQUEST, { e: email });
    const second = await t.waitForMail((m) => m.to.includes(email) && !m.text.includes(first));
    expect(errorCode(await t.client().query(RESET, { t: first, p: NEW_PASSWORD }))).toBe('INVALID_TOKEN');
    await t.client().mustQuery(RESET, { t: tokenIn(second.text, 'reinitialiser-mot-de-passe'), p: NEW_PASSWORD });

    // A link asked for while the previous mail is still queued: the queued one must not leave.
    await t.deps.outbox.stop();
    try {
      const unsent = `select payload, last_error from outbox_message where "to" = ? and sent_at is null order by created_at`;
      await t.client().mustQuery(REQUEST, { e: email });
      const [queued] = await rowsOnceThere<{ payload: { token: string } }>(t, unsent, [email], 1);
      await t.client().mustQuery(REQUEST, { e: email });
      const rows = await rowsOnceThere<{ last_error: string | null }>(t, unsent, [email], 2);
      expect(await tablesContaining(t, queued!.payload.token)).toEqual([]);
      expect(rows.map((r) => r.last_error)).toEqual(['superseded', null]);
    } finally {
      t.deps.outbox.start();
    }
  });

  it('a weak password is refused with WEAK_PASSWORD and the link stays usable', async () => {
    const { email } = await t.login(Role.PHYSICIAN);
    const token = await resetLink(email);
    const weak = await t.client().query(RESET, { t: token, p: 'short' });
    expect(errorCode(weak)).toBe('WEAK_PASSWORD');
    expect(weak.errors?.[0]?.extensions?.field).toBe('password');
    expect(errorCode(await t.client().query(RESET, { t: token, p: 'motdepasse123' }))).toBe('WEAK_PASSWORD');
    expect((await t.client().query(RESET, { t: token, p: NEW_PASSWORD })).errors).toBeUndefined();
  });

  it('a reset ends every session of the account and unlocks it', async () => {
    const { email, client } = await t.login(Role.PHYSICIAN);
    for (let i = 0; i < 3; i++) await t.client().query(LOGIN, { e: email, p: `wrong-${i}` });
    expect(errorCode(await t.client().query(LOGIN, { e: email, p: TEST_PASSWORD }))).toBe('ACCOUNT_LOCKED');
    const token = await resetLink(email);
    await t.client().mustQuery(RESET, { t: token, p: NEW_PASSWORD });
    expect((await client.query(`{ me { id } }`)).data?.me).toBeNull();
    expect((await t.client().query(LOGIN, { e: email, p: NEW_PASSWORD })).errors).toBeUndefined();
  });
});
