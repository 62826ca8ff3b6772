import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, randomRpps, startTestServer, type GqlResult, type TestServer } from '../harness.js';

const LOGIN = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { id } }`;
const RESET_REQUEST = `mutation($e: String!) { requestPasswordReset(email: $e) }`;
const RESET = `mutation($t: String!, $p: String!) { resetPassword(token: $t, password: $p) }`;
const ACCOUNT = `mutation($i: AccountRequestInput!) { requestAccount(input: $i) }`;

/** Sends `n` calls one after the other (a limit is about counts, not concurrency). */
async function times(n: number, call: (i: number) => Promise<GqlResult>): Promise<Array<string | undefined>> {
  const codes: Array<string | undefined> = [];
  for (let i = 0; i < n; i++) codes.push(errorCode(await call(i)));
  return codes;
}

/**
 * Limits count in fixed windows aligned on the clock (a minute, an hour). A run that straddles
 * a window's end would see the count restart: start in a fresh window when the current one is
 * about to end.
 */
async function awayFromWindowEnd(windowSeconds: number): Promise<void> {
  const windowMs = windowSeconds * 1000;
  const left = windowMs - (Date.now() % windowMs);
  if (left < 10_000) await new Promise((r) => setTimeout(r, left + 100));
}

describe('rate limits on login, password reset and account requests (real limits: RATE_LIMIT_SCALE=1)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ RATE_LIMIT_SCALE: '1' });
  });
  afterAll(() => t?.stop());

  it('login: 30 attempts a minute from one address, then RATE_LIMITED with a retry delay', async () => {
    await awayFromWindowEnd(60);
    const codes = await times(31, (i) => t.client().query(LOGIN, { e: `nobody${i}@test.e-mage.fr`, p: 'whatever-password' }));
    expect(codes.slice(0, 30).every((c) => c === 'INVALID_CREDENTIALS')).toBe(true);
    const limited = await t.client().query(LOGIN, { e: 'nobody@test.e-mage.fr', p: 'whatever-password' });
    expect(errorCode(limited)).toBe('RATE_LIMITED');
    expect(limited.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
    expect(codes[30]).toBe('RATE_LIMITED');
  });

  it('reset request: 3 an hour for one e-mail, 10 an hour from one address', async () => {
    await awayFromWindowEnd(3600);
    const email = `limited-${Date.now()}@test.e-mage.fr`;
    const same = await times(4, () => t.client().query(RESET_REQUEST, { e: email }));
    expect(same).toEqual([undefined, undefined, undefined, 'RATE_LIMITED']);
    // 4 calls so far from this address; 6 more pass, the 11th is refused.
    const others = await times(7, (i) => t.client().query(RESET_REQUEST, { e: `other${i}-${Date.now()}@test.e-mage.fr` }));
    expect(others).toEqual([undefined, undefined, undefined, undefined, undefined, undefined, 'RATE_LIMITED']);
  });

  it('reset and activation links: 30 tries an hour from one address', async () => {
    await awayFromWindowEnd(3600);
    const codes = await times(31, (i) => t.client().query(RESET, { t: `guess-${i}`, p: 'Some-long-passphrase-1' }));
    expect(codes.slice(0, 30).every((c) => c === 'INVALID_TOKEN')).toBe(true);
    expect(codes[30]).toBe('RATE_LIMITED');
  });

  it('account request: 5 an hour from one address', async () => {
    await awayFromWindowEnd(3600);
    const codes = await times(6, (i) =>
      t.client().query(ACCOUNT, { i: { firstName: 'A', lastName: `B${i}`, email: `req${i}-${Date.now()}@test.e-mage.fr`, rpps: randomRpps() } }),
    );
    expect(codes).toEqual([undefined, undefined, undefined, undefined, undefined, 'RATE_LIMITED']);
  });
});
