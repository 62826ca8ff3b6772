import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Role } from '../../src/modules/auth/user.entity.js';
import { errorCode, GqlClient, startTestServer, TEST_PASSWORD, type TestServer } from '../harness.js';

const LOGIN = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { id } }`;

/**
 * Behind one proxy (TRUST_PROXY=1) that appends the address it sees to X-Forwarded-For, the
 * client's own X-Forwarded-For stays to the left: the portal must take the last entry only. The
 * test's connection plays the proxy (it comes from loopback) and sends what such a proxy would
 * forward: "<whatever the client wrote>, <the client's real address>".
 */
describe('TRUST_PROXY=1: a client cannot choose its address', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ TRUST_PROXY: '1', RATE_LIMIT_SCALE: '1' });
  });
  afterAll(() => t?.stop());

  const viaProxy = (clientWrote: string, proxySaw: string): GqlClient => {
    const client = t.client();
    client.headers['x-forwarded-for'] = `${clientWrote}, ${proxySaw}`;
    return client;
  };

  it('the audit trail records the address the proxy appended', async () => {
    const { userId, email } = await t.login(Role.PHYSICIAN);
    await viaProxy('198.51.100.66', '203.0.113.7').mustQuery(LOGIN, { e: email, p: TEST_PASSWORD });
    await viaProxy('198.51.100.67', '203.0.113.7').query(LOGIN, { e: email, p: 'not-the-password-1' });
    const rows = await t.deps.orm.em.fork().getConnection().execute<Array<{ action: string; ip: string | null }>>(
      `select action, ip from audit_event where (actor_user_id = ? or target_user_id = ?) and ip <> '127.0.0.1' order by at`,
      [userId, userId],
    );
    expect(rows.map((r) => r.ip)).toEqual(['203.0.113.7', '203.0.113.7']);
  });

  it('rotating X-Forwarded-For does not escape the per-address login limit (30 a minute)', async () => {
    // Fixed one-minute windows: start away from a window's end so the count does not restart.
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 15_000) await new Promise((r) => setTimeout(r, left + 100));
    const codes: Array<string | undefined> = [];
    for (let i = 0; i < 31; i++) {
      codes.push(errorCode(await viaProxy(`10.${i}.${i}.1`, '203.0.113.9').query(LOGIN, { e: `nobody${i}@test.e-mage.fr`, p: 'whatever-password' })));
    }
    expect(codes.slice(0, 30)).not.toContain('RATE_LIMITED');
    expect(codes[30]).toBe('RATE_LIMITED');
    // Another client behind the same proxy still gets in.
    expect(errorCode(await viaProxy('10.0.0.1', '203.0.113.10').query(LOGIN, { e: 'nobody@test.e-mage.fr', p: 'whatever-password' }))).not.toBe('RATE_LIMITED');
  });
});

/**
 * The WebSocket handshake is counted per client address (ADR 0095's budget): behind the proxy,
 * it must be the address the proxy appended, not the proxy's own (the peer), which every client
 * shares, nor what the client wrote.
 */
describe('TRUST_PROXY=1 over WebSocket: the client address is the one the proxy appended', () => {
  let t: TestServer;
  beforeAll(async () => {
    // A burst of 3 handshakes per address, one token back every 2 seconds.
    t = await startTestServer({ TRUST_PROXY: '1', RATE_LIMIT_SCALE: '0.01' });
  });
  afterAll(() => t?.stop());

  const handshake = (forwardedFor: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`${t.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws', { headers: { 'x-forwarded-for': forwardedFor } });
      ws.once('upgrade', (res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.once('unexpected-response', (req, res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      ws.once('error', reject);
    });

  it('rotating X-Forwarded-For does not escape the per-address budget; another client behind the proxy is not refused', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push(await handshake(`10.${i}.${i}.1, 203.0.113.30`));
    expect(statuses.slice(0, 3)).toEqual([101, 101, 101]);
    expect(statuses).toContain(429);
    expect(await handshake('10.0.0.1, 203.0.113.31')).toBe(101);
  });
});
