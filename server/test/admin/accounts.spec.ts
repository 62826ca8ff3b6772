/**
 * Administrators manage accounts: a lock lifted lets the person in at once, a disabled account
 * loses its open sessions and cannot log in, enabled it can again; every change is audited with
 * the administrator as actor, and nobody else may do any of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkEm } from '../../src/bootstrap.js';
import { createUser } from '../../src/modules/auth/auth.service.js';
import { Role } from '../../src/modules/auth/user.entity.js';
import { tokenIn } from '../auth/db-probe.js';
import { errorCode, startTestServer, TEST_PASSWORD, type GqlClient, type TestServer } from '../harness.js';

const ACCOUNT = `id email role status lockedUntil activatedAt`;
const LOGIN = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { id } }`;

describe('accounts, administered from the portal', () => {
  let t: TestServer;
  let admin: GqlClient;
  let adminId: string;
  beforeAll(async () => {
    t = await startTestServer({ LOCKOUT_ATTEMPTS: '3', LOCKOUT_MINUTES: '5' });
    ({ client: admin, userId: adminId } = await t.login(Role.ADMIN));
  });
  afterAll(() => t?.stop());

  const trail = async (targetId: string) =>
    (await forkEm(t.deps).execute<Array<{ action: string; actor_user_id: string }>>(`select action, actor_user_id from audit_event where target_user_id = ? and action like 'ACCOUNT_%' order by at`, [targetId]))
      .filter((e) => e.action !== 'ACCOUNT_LOCKED');

  it('lists accounts by role and by a part of a name, an e-mail or an RPPS, without secrets', async () => {
    const doc = await t.login(Role.PHYSICIAN, { lastName: 'Zévaco' });
    const { users } = await admin.mustQuery(`query($s: String) { users(role: PHYSICIAN, search: $s) { ${ACCOUNT} rpps } }`, { s: 'zévac' });
    expect(users).toEqual([expect.objectContaining({ id: doc.userId, email: doc.email, role: 'PHYSICIAN', status: 'ACTIVE', lockedUntil: null })]);
    const byEmail = await admin.mustQuery(`query($s: String) { users(search: $s) { id } }`, { s: doc.email.slice(0, 12) });
    expect(byEmail.users.map((u: { id: string }) => u.id)).toContain(doc.userId);
    const analysts = await admin.mustQuery(`{ users(role: ANALYST) { id role } }`);
    expect(analysts.users.every((u: { role: string }) => u.role === 'ANALYST')).toBe(true);
    // A LIKE wildcard is a character like any other.
    expect((await admin.mustQuery(`{ users(search: "%") { id } }`)).users).toEqual([]);
    expect(errorCode(await admin.query(`query($s: String) { users(search: $s) { id } }`, { s: 'x'.repeat(101) }))).toBe('BAD_USER_INPUT');
  });

  it('a locked physician logs in as soon as an administrator lifts the lock', async () => {
    const doc = await t.login(Role.PHYSICIAN);
    for (let i = 0; i < 3; i++) await t.client().query(LOGIN, { e: doc.email, p: 'wrong-password' });
    expect(errorCode(await t.client().query(LOGIN, { e: doc.email, p: TEST_PASSWORD }))).toBe('ACCOUNT_LOCKED');
    const { users } = await admin.mustQuery(`query($s: String) { users(search: $s) { ${ACCOUNT} } }`, { s: doc.email });
    expect(users[0].lockedUntil).not.toBeNull();

    const { unlockUser } = await admin.mustQuery(`mutation($id: ID!) { unlockUser(id: $id) { ${ACCOUNT} } }`, { id: doc.userId });
    expect(unlockUser.lockedUntil).toBeNull();
    expect((await t.client().query(LOGIN, { e: doc.email, p: TEST_PASSWORD })).errors).toBeUndefined();
    expect(errorCode(await admin.query(`mutation($id: ID!) { unlockUser(id: $id) { id } }`, { id: doc.userId }))).toBe('BAD_USER_INPUT');
    expect(await trail(doc.userId)).toEqual([{ action: 'ACCOUNT_UNLOCKED', actor_user_id: adminId }]);

    // The physician's trail holds what was done to the account: the failed logins, the lock, the unlock.
    const { auditEvents } = await admin.mustQuery(`query($u: ID) { auditEvents(userId: $u, first: 20) { edges { node { action actorKind actorEmail targetEmail outcome } } } }`, { u: doc.userId });
    const nodes = auditEvents.edges.map((e: { node: Record<string, string | null> }) => e.node);
    expect(nodes.find((n: Record<string, string | null>) => n.action === 'ACCOUNT_UNLOCKED')).toMatchObject({ actorKind: 'USER', targetEmail: doc.email, actorEmail: expect.stringContaining('@') });
    expect(nodes.find((n: Record<string, string | null>) => n.action === 'ACCOUNT_LOCKED')).toMatchObject({ actorKind: 'ANONYMOUS', actorEmail: null, targetEmail: doc.email, outcome: 'WRONG_PASSWORD' });
    expect(nodes.filter((n: Record<string, string | null>) => n.action === 'LOGIN_FAILED' && n.targetEmail === doc.email).length).toBeGreaterThanOrEqual(2);
  });

  it('a disabled account loses its open session and cannot log in; enabled again, it can', async () => {
    const doc = await t.login(Role.PHYSICIAN);
    expect((await doc.client.mustQuery(`{ me { id } }`)).me.id).toBe(doc.userId);

    const { disableUser } = await admin.mustQuery(`mutation($id: ID!) { disableUser(id: $id) { ${ACCOUNT} } }`, { id: doc.userId });
    expect(disableUser.status).toBe('DISABLED');
    // The session the physician had open is over, and the right password no longer opens one.
    expect((await doc.client.mustQuery(`{ me { id } }`)).me).toBeNull();
    expect(errorCode(await doc.client.query(`{ patients(first: 1) { edges { cursor } } }`))).toBe('UNAUTHENTICATED');
    expect(errorCode(await t.client().query(LOGIN, { e: doc.email, p: TEST_PASSWORD }))).toBe('INVALID_CREDENTIALS');
    // The caller is told no more than for an unknown address; the trail, under the account, says why.
    const refused = await admin.mustQuery(`query($u: ID) { auditEvents(userId: $u, first: 5) { edges { node { action outcome } } } }`, { u: doc.userId });
    expect(refused.auditEvents.edges[0].node).toEqual({ action: 'LOGIN_FAILED', outcome: 'ACCOUNT_DISABLED' });
    expect(errorCode(await admin.query(`mutation($id: ID!) { disableUser(id: $id) { id } }`, { id: doc.userId }))).toBe('BAD_USER_INPUT');

    const { enableUser } = await admin.mustQuery(`mutation($id: ID!) { enableUser(id: $id) { ${ACCOUNT} } }`, { id: doc.userId });
    expect(enableUser.status).toBe('ACTIVE');
    expect((await t.client().query(LOGIN, { e: doc.email, p: TEST_PASSWORD })).errors).toBeUndefined();
    expect(await trail(doc.userId)).toEqual([
      { action: 'ACCOUNT_DISABLED', actor_user_id: adminId },
      { action: 'ACCOUNT_ENABLED', actor_user_id: adminId },
    ]);
  });

  it('the links already sent to a disabled account open nothing; enabled before activation, it gets a new one', async () => {
    const RESET = `mutation($t: String!, $p: String!) { resetPassword(token: $t, password: $p) }`;
    const ACTIVATE = `mutation($t: String!, $p: String!) { activateAccount(token: $t, password: $p) }`;
    // A password reset asked for before the disable.
    const doc = await t.login(Role.PHYSICIAN);
    await t.client().mustQuery(`mutation($e: String!) { requestPasswordReset(email: $e) }`, { e: doc.email });
    const reset = tokenIn((await t.waitForMail((m) => m.to.includes(doc.email))).text, 'reinitialiser-mot-de-passe');
    await admin.mustQuery(`mutation($id: ID!) { disableUser(id: $id) { id } }`, { id: doc.userId });
    expect(errorCode(await t.client().query(RESET, { t: reset, p: 'Une-autre-phrase-secrete-8' }))).toBe('INVALID_TOKEN');
    expect(errorCode(await t.client().query(LOGIN, { e: doc.email, p: 'Une-autre-phrase-secrete-8' }))).toBe('INVALID_CREDENTIALS');

    // An account approved by mistake, disabled before the person activated it.
    const { user: pending, activationToken } = await createUser(forkEm(t.deps), t.deps.config, {
      email: `pending-${Date.now()}@test.e-mage.fr`, role: Role.ANALYST, firstName: 'Pia', lastName: 'Attente', rpps: null, password: null,
    });
    await admin.mustQuery(`mutation($id: ID!) { disableUser(id: $id) { id } }`, { id: pending.id });
    expect(errorCode(await t.client().query(ACTIVATE, { t: activationToken, p: 'Phrase-secrete-analyste-3' }))).toBe('INVALID_TOKEN');
    const { enableUser } = await admin.mustQuery(`mutation($id: ID!) { enableUser(id: $id) { status } }`, { id: pending.id });
    expect(enableUser.status).toBe('PENDING_ACTIVATION');
    // The old link stays dead; the new one, e-mailed, activates the account.
    expect(errorCode(await t.client().query(ACTIVATE, { t: activationToken, p: 'Phrase-secrete-analyste-3' }))).toBe('INVALID_TOKEN');
    const fresh = tokenIn((await t.waitForMail((m) => m.to.includes(pending.email))).text, 'activation');
    expect(fresh).not.toBe(activationToken);
    expect((await t.client().query(ACTIVATE, { t: fresh, p: 'Phrase-secrete-analyste-3' })).errors).toBeUndefined();
    expect((await t.client().query(LOGIN, { e: pending.email, p: 'Phrase-secrete-analyste-3' })).errors).toBeUndefined();
  });

  it('two administrators disabling each other at once leave one of them able to administer', async () => {
    const one = await t.login(Role.ADMIN);
    const two = await t.login(Role.ADMIN);
    // For this case they are the portal's only active administrators.
    const em = forkEm(t.deps);
    await em.execute(`update app_user set status = 'DISABLED' where role = 'ADMIN' and id not in (?, ?)`, [one.userId, two.userId]);
    try {
      const disable = (by: GqlClient, id: string) => by.query(`mutation($id: ID!) { disableUser(id: $id) { id } }`, { id });
      const results = await Promise.all([disable(one.client, two.userId), disable(two.client, one.userId)]);
      expect(results.filter((r) => !r.errors).length).toBeLessThanOrEqual(1);
      const [active] = await em.execute<Array<{ n: number }>>(`select count(*)::int as n from app_user where role = 'ADMIN' and status = 'ACTIVE'`);
      expect(active?.n).toBe(1);
    } finally {
      await em.execute(`update app_user set status = 'ACTIVE' where id = ?`, [adminId]);
    }
  });

  it('an administrator cannot disable their own account, and unknown ids are refused', async () => {
    expect(errorCode(await admin.query(`mutation($id: ID!) { disableUser(id: $id) { id } }`, { id: adminId }))).toBe('BAD_USER_INPUT');
    // The same id in capitals names the same account.
    expect(errorCode(await admin.query(`mutation($id: ID!) { disableUser(id: $id) { id } }`, { id: adminId.toUpperCase() }))).toBe('BAD_USER_INPUT');
    expect((await admin.mustQuery(`{ me { id } }`)).me.id).toBe(adminId);
    for (const op of ['unlockUser', 'disableUser', 'enableUser']) {
      for (const id of ['00000000-0000-4000-8000-000000000000', 'nope']) {
        expect(errorCode(await admin.query(`mutation($id: ID!) { ${op}(id: $id) { id } }`, { id })), `${op} ${id}`).toBe('NOT_FOUND');
      }
    }
  });

  it('a physician, an analyst and a caller without a session get nothing, and change nothing', async () => {
    const victim = await t.login(Role.PHYSICIAN);
    const { client: physician } = await t.login(Role.PHYSICIAN);
    const { client: analyst } = await t.login(Role.ANALYST);
    const attempts = [`{ users { id email } }`, ...['unlockUser', 'disableUser', 'enableUser'].map((op) => `mutation { ${op}(id: "${victim.userId}") { id } }`)];
    for (const [caller, expected] of [[physician, 'FORBIDDEN'], [analyst, 'FORBIDDEN'], [t.client(), 'UNAUTHENTICATED']] as const) {
      for (const query of attempts) {
        const r = await caller.query(query);
        expect(errorCode(r), query).toBe(expected);
        expect(r.data ?? null, query).toBeNull();
      }
    }
    expect((await victim.client.mustQuery(`{ me { id } }`)).me.id).toBe(victim.userId);
    expect(await trail(victim.userId)).toEqual([]);
  });
});
