import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../harness.js';

/** The status of a WebSocket handshake on /graphql sent with the given Origin header. */
function upgradeStatus(url: string, origin: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/graphql`, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-protocol': 'graphql-transport-ws',
        ...(origin !== undefined ? { origin } : {}),
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('WebSocket handshakes from foreign origins (cross-site WebSocket hijacking)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t?.stop());

  it('refuses a foreign, a "null" and a malformed Origin with 403, and keeps serving', async () => {
    expect(await upgradeStatus(t.url, 'https://evil.example')).toBe(403);
    expect(await upgradeStatus(t.url, 'null')).toBe(403);
    expect(await upgradeStatus(t.url, 'not a url')).toBe(403);
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });

  it('accepts the portal itself', async () => {
    expect(await upgradeStatus(t.url, t.url)).toBe(101);
  });
});
