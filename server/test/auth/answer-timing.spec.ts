import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { startTestServer, type GqlClient, type TestServer } from '../harness.js';

const LOGIN = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { id } }`;
const RESET_REQUEST = `mutation($e: String!) { requestPasswordReset(email: $e) }`;
const ROUNDS = 20;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The median time of `ROUNDS` calls for a real account's e-mail and for an unknown one,
 * alternated so that background load weighs on both alike. The slower over the faster.
 */
async function medianRatio(client: () => GqlClient, query: string, vars: (email: string, i: number) => Record<string, unknown>, known: string, unknown: string): Promise<number> {
  const times: Record<'known' | 'unknown', number[]> = { known: [], unknown: [] };
  for (let i = 0; i < ROUNDS; i++) {
    for (const [kind, email] of [['known', known], ['unknown', unknown]] as const) {
      const c = client();
      const start = performance.now();
      await c.query(query, vars(email, i));
      times[kind].push(performance.now() - start);
    }
  }
  const [k, u] = [median(times.known), median(times.unknown)];
  return Math.max(k, u) / Math.min(k, u);
}

describe('answers take as long whether or not the e-mail has an account (ADR 0096)', () => {
  let t: TestServer;
  beforeAll(async () => {
    // Enough attempts that the timed calls are all verified (a lock would answer faster).
    t = await startTestServer({ LOCKOUT_ATTEMPTS: '100' });
  });
  afterAll(() => t?.stop());

  it('a password reset request', async () => {
    const { email } = await t.login(Role.PHYSICIAN);
    const ratio = await medianRatio(() => t.client(), RESET_REQUEST, (e) => ({ e }), email, `nobody-${Date.now()}@test.e-mage.fr`);
    expect(ratio).toBeLessThan(1.3);
  });

  it('a wrong password', async () => {
    const { email } = await t.login(Role.PHYSICIAN);
    const ratio = await medianRatio(() => t.client(), LOGIN, (e, i) => ({ e, p: `wrong-${i}` }), email, `nobody-${Date.now()}@test.e-mage.fr`);
    expect(ratio).toBeLessThan(1.3);
  });
});
