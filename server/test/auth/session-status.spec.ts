import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { startTestServer, type TestServer } from '../harness.js';

describe('GET /api/session: what the page asks before warning of an idle logout', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ SESSION_IDLE_MINUTES: '1' });
  });
  afterAll(() => t?.stop());

  it('answers 401 without a session', async () => {
    const res = await t.client().fetch('/api/session');
    expect(res.status).toBe(401);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('tells the remaining idle time without extending it', async () => {
    const { client } = await t.login(Role.PHYSICIAN);
    const first = (await (await client.fetch('/api/session')).json()) as { active: boolean; idleRemainingSeconds: number };
    expect(first.active).toBe(true);
    expect(first.idleRemainingSeconds).toBeGreaterThan(0);
    expect(first.idleRemainingSeconds).toBeLessThanOrEqual(60);
    await new Promise((r) => setTimeout(r, 2_500));
    const second = (await (await client.fetch('/api/session')).json()) as { idleRemainingSeconds: number };
    // Asking is not activity: the remaining time went down instead of being reset.
    expect(second.idleRemainingSeconds).toBeLessThanOrEqual(first.idleRemainingSeconds - 2);
  });
});
