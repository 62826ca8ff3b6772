import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { errorCode, startTestServer, type GqlClient, type TestServer } from '../harness.js';
import { openSocket } from './ws.js';

const ME = `{ me { id } }`;
/** Any operation that needs a session (the denial matrix covers all of them). */
const GUARDED = `mutation { updatePreferences(input: { emailNotifications: true }) { id } }`;

async function refusedOverHttp(c: GqlClient): Promise<void> {
  expect((await c.query(ME)).data?.me).toBeNull();
  expect(errorCode(await c.query(GUARDED))).toBe('UNAUTHENTICATED');
}

async function waitUntil(at: number): Promise<void> {
  await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
}

describe('an ended session is refused over HTTP and WebSocket (guide §7)', () => {
  let t: TestServer;
  beforeAll(async () => {
    // 3 s of idleness end a session, so the test can watch it happen.
    t = await startTestServer({ SESSION_IDLE_MINUTES: '0.05' });
  });
  afterAll(() => t?.stop());

  it('logout: HTTP refused, the open socket closed at once, a new socket refused', async () => {
    const { client } = await t.login(Role.PHYSICIAN);
    const cookie = client.cookieHeader();
    const socket = openSocket(t.url, cookie);
    await socket.acknowledged;
    const before = Date.now();
    await client.mustQuery(`mutation { logout }`);
    expect(await socket.closed).toBe(4401);
    // Closed by the logout itself, well before the 5 s sweep would have found it.
    expect(Date.now() - before).toBeLessThan(3000);

    const stale = t.client();
    stale.cookies = new Map(cookie.split('; ').map((kv) => kv.split('=') as [string, string]));
    await refusedOverHttp(stale);
    const again = openSocket(t.url, cookie);
    expect(await again.closed).toBe(4403);
  });

  it('idle timeout: HTTP refused after SESSION_IDLE_MINUTES, the open socket closed within the sweep interval', async () => {
    const { client } = await t.login(Role.PHYSICIAN);
    const me = await client.mustQuery<{ me: { sessionIdleExpiresAt: string } }>(`{ me { sessionIdleExpiresAt } }`);
    const idleAt = new Date(me.me.sessionIdleExpiresAt).getTime();
    const socket = openSocket(t.url, client.cookieHeader());
    await socket.acknowledged;
    // A WebSocket is not activity: it must not keep an idle session alive.
    const code = await socket.closed;
    expect(code).toBe(4401);
    const SWEEP_MS = 5_000;
    expect(Date.now()).toBeLessThan(idleAt + SWEEP_MS + 3_000);
    expect(Date.now()).toBeGreaterThanOrEqual(idleAt - 50);
    await refusedOverHttp(client);
    expect(await openSocket(t.url, client.cookieHeader()).closed).toBe(4403);
  });

  it('activity slides the idle expiry; the absolute lifetime is not slid', async () => {
    const { client } = await t.login(Role.PHYSICIAN);
    const first = await client.mustQuery<{ me: { sessionIdleExpiresAt: string; sessionAbsoluteExpiresAt: string } }>(
      `{ me { sessionIdleExpiresAt sessionAbsoluteExpiresAt } }`,
    );
    const deadline = new Date(first.me.sessionIdleExpiresAt).getTime();
    for (let i = 0; i < 4; i++) {
      await waitUntil(Date.now() + 1_000);
      expect((await client.query(ME)).data?.me).not.toBeNull();
    }
    expect(Date.now()).toBeGreaterThan(deadline);
    const later = await client.mustQuery<{ me: { sessionAbsoluteExpiresAt: string } }>(`{ me { sessionAbsoluteExpiresAt } }`);
    expect(later.me.sessionAbsoluteExpiresAt).toBe(first.me.sessionAbsoluteExpiresAt);
  });

  it('password reset: every session of the account refused over HTTP, its sockets closed', async () => {
    const { client, email } = await t.login(Role.PHYSICIAN);
    const other = t.client();
    await other.mustQuery(`mutation($e: String!, $p: String!) { login(email: $e, password: $p) { id } }`, {
      e: email,
      p: 'Correct-horse-battery-42',
    });
    const socket = openSocket(t.url, client.cookieHeader());
    await socket.acknowledged;

    await t.client().mustQuery(`mutation($e: String!) { requestPasswordReset(email: $e) }`, { e: email });
    const mail = await t.waitForMail((m) => m.to.includes(email));
    const token = /#token=([A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
    expect(token).toBeDefined();
    await t.client().mustQuery(`mutation($t: String!, $p: String!) { resetPassword(token: $t, password: $p) }`, {
      t: token,
      p: 'Another-long-passphrase-7',
    });
    expect(await socket.closed).toBe(4401);
    await refusedOverHttp(client);
    await refusedOverHttp(other);
  });
});
