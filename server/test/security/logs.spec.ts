import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { capturingLogger, TEST_PASSWORD, randomRpps, startTestServer, type TestServer } from '../harness.js';
import { tokenIn } from '../auth/db-probe.js';

describe('logs hold no password, token or session id', () => {
  let t: TestServer;
  const capture = capturingLogger();
  beforeAll(async () => {
    t = await startTestServer({}, { logger: capture.logger });
  });
  afterAll(() => t?.stop());

  it('after logins, a failed login, a reset, an account request, an approval and an activation', async () => {
    const secrets: string[] = [TEST_PASSWORD];
    const { client, email } = await t.login(Role.PHYSICIAN);
    secrets.push(client.cookies.get('emage_session') ?? '');
    await t.client().query(`mutation($e: String!, $p: String!) { login(email: $e, password: $p) { id } }`, { e: email, p: 'Wrong-password-secret-1' });
    secrets.push('Wrong-password-secret-1');

    await t.client().mustQuery(`mutation($e: String!) { requestPasswordReset(email: $e) }`, { e: email });
    const reset = tokenIn((await t.waitForMail((m) => m.to.includes(email))).text, 'reinitialiser-mot-de-passe');
    secrets.push(reset, 'Reset-passphrase-secret-2');
    await t.client().mustQuery(`mutation($t: String!, $p: String!) { resetPassword(token: $t, password: $p) }`, { t: reset, p: 'Reset-passphrase-secret-2' });

    const applicant = `applicant-${Date.now()}@test.e-mage.fr`;
    await t.client().mustQuery(`mutation($i: AccountRequestInput!) { requestAccount(input: $i) }`, {
      i: { firstName: 'Anne', lastName: 'Applicant', email: applicant, rpps: randomRpps() },
    });
    const admin = (await t.login(Role.ADMIN)).client;
    secrets.push(admin.cookies.get('emage_session') ?? '');
    const list = await admin.mustQuery<{ accountRequests: Array<{ id: string; email: string }> }>(`{ accountRequests(status: PENDING) { id email } }`);
    await admin.mustQuery(`mutation($id: ID!) { approveAccountRequest(id: $id) { id } }`, { id: list.accountRequests.find((r) => r.email === applicant)?.id });
    const activation = tokenIn((await t.waitForMail((m) => m.to.includes(applicant))).text, 'activation');
    secrets.push(activation, 'Activation-passphrase-secret-3');
    await t.client().mustQuery(`mutation($t: String!, $p: String!) { activateAccount(token: $t, password: $p) }`, { t: activation, p: 'Activation-passphrase-secret-3' });
    await client.query(`mutation { logout }`);
    await t.deps.outbox.drainOnce();

    const logged = capture.text();
    // The capture is real: the server did log (request lines at trace/debug level).
    expect(logged.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(8);
      expect(logged.includes(secret), `a secret appears in the logs`).toBe(false);
    }
    expect(logged).not.toMatch(/#token=/);
  });
});
