import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { randomRpps, startTestServer, type TestServer } from '../harness.js';

const LOGIN = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { id } }`;
const RESET_REQUEST = `mutation($e: String!) { requestPasswordReset(email: $e) }`;
const ACCOUNT_REQUEST = `mutation($i: AccountRequestInput!) { requestAccount(input: $i) }`;
const ROUNDS = 20;
const WARM_UP = 4;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * How much longer a call takes for a real account's e-mail than for an unknown one: the median,
 * over `ROUNDS` pairs, of one's time over the other's. The two calls of a pair are sent together
 * (which first alternates) so that they meet the same load on this shared machine; a pause
 * between pairs lets what runs after an answer end before the next pair. Near 1 when the
 * answer's time tells nothing.
 */
async function pairedRatio(t: TestServer, query: string, vars: (email: string, i: number) => Record<string, unknown>, known: string, unknown: string): Promise<number> {
  const time = async (email: string, i: number): Promise<number> => {
    const c = t.client();
    const start = performance.now();
    await c.query(query, vars(email, i));
    return performance.now() - start;
  };
  const ratios: number[] = [];
  for (let i = -WARM_UP; i < ROUNDS; i++) {
    const [k, u] = i % 2 ? await Promise.all([time(known, i), time(unknown, i)]) : (await Promise.all([time(unknown, i), time(known, i)])).reverse();
    if (i >= 0) ratios.push(k! / u!);
    await new Promise((r) => setTimeout(r, 100));
  }
  return median(ratios);
}

describe('answers take as long whether or not the e-mail has an account (ADR 0096)', () => {
  let t: TestServer;
  beforeAll(async () => {
    // Enough attempts that the timed logins are all verified (a lock would answer faster).
    t = await startTestServer({ LOCKOUT_ATTEMPTS: '100' });
  });
  afterAll(() => t?.stop());

  // Before ADR 0096: 1.7 to 2.9 for a reset request, 0.55 to 0.75 for an account request.
  it('a password reset request', async () => {
    const { email } = await t.login(Role.PHYSICIAN);
    const ratio = await pairedRatio(t, RESET_REQUEST, (e) => ({ e }), email, `nobody-${Date.now()}@test.e-mage.fr`);
    expect(ratio).toBeGreaterThan(1 / 1.3);
    expect(ratio).toBeLessThan(1.3);
  });

  it('an account request, whether or not one is already pending for the e-mail', async () => {
    const pending = `pending-${Date.now()}@test.e-mage.fr`;
    const request = (email: string): Record<string, unknown> => ({ i: { firstName: 'Anne', lastName: 'Attente', email, rpps: randomRpps() } });
    await t.client().mustQuery(ACCOUNT_REQUEST, request(pending));
    const ratio = await pairedRatio(t, ACCOUNT_REQUEST, (e, i) => request(e === pending ? e : `new-${i + WARM_UP}-${e}`), pending, `applicant-${Date.now()}@test.e-mage.fr`);
    expect(ratio).toBeGreaterThan(1 / 1.3);
    expect(ratio).toBeLessThan(1.3);
  });

  it('a wrong password', async () => {
    const { email } = await t.login(Role.PHYSICIAN);
    const ratio = await pairedRatio(t, LOGIN, (e, i) => ({ e, p: `wrong-${i + WARM_UP}` }), email, `nobody-${Date.now()}@test.e-mage.fr`);
    expect(ratio).toBeGreaterThan(1 / 1.3);
    expect(ratio).toBeLessThan(1.3);
  });
});
