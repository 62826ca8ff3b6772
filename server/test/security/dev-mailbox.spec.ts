import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { startTestServer, type TestServer } from '../harness.js';

/**
 * The web mailbox of the built-in SMTP catcher shows every e-mail the portal sent, links with
 * their tokens included: it exists only on embedded defaults (no SMTP_URL, the quick start), and
 * a deployment with a real mail server has no such route, whoever asks.
 */
describe('the development mailbox is absent when a mail server is configured', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(); // SMTP_URL is set (to the test's own catcher)
  });
  afterAll(() => t?.stop());

  it('answers 404 on /dev/mailbox and /dev/mailbox/messages, anonymous or signed in, and the config does not offer it', async () => {
    const { client } = await t.login(Role.ADMIN);
    const asAdmin: Record<string, string> = { cookie: client.cookieHeader() };
    for (const headers of [{}, asAdmin]) {
      for (const path of ['/dev/mailbox', '/dev/mailbox/messages']) {
        const res = await fetch(`${t.url}${path}`, { headers: { accept: 'text/html,application/json', ...headers } });
        expect(res.status, path).toBe(404);
        expect(await res.text()).not.toContain('@');
      }
    }
    const config = (await (await fetch(`${t.url}/api/config`)).json()) as { devMailbox: string | null };
    expect(config.devMailbox).toBeNull();
  });
});
