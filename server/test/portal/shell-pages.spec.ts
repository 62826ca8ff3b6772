import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../harness.js';

/**
 * How the built clients are cached by browsers: the shell's page is asked again every time (it
 * names the current build's files), the shell's hashed files are kept a year, and the viewer
 * bundle, whose name never changes, an hour.
 */
describe('caching of the clients’ files', () => {
  let clientDir: string;
  let t: TestServer;
  const get = async (p: string, accept = '*/*') => {
    const res = await fetch(`${t.url}${p}`, { headers: { accept } });
    return { status: res.status, cache: res.headers.get('cache-control'), type: res.headers.get('content-type'), body: await res.text() };
  };

  beforeAll(async () => {
    clientDir = await fs.mkdtemp(path.join(os.tmpdir(), 'emage-client-'));
    await fs.mkdir(path.join(clientDir, 'shell', 'dist', 'assets'), { recursive: true });
    await fs.mkdir(path.join(clientDir, 'viewer', 'dist'), { recursive: true });
    await fs.writeFile(path.join(clientDir, 'shell', 'dist', 'index.html'), '<p>shell</p>');
    await fs.writeFile(path.join(clientDir, 'shell', 'dist', 'assets', 'index-Ab12Cd34.js'), 'export {};');
    await fs.writeFile(path.join(clientDir, 'viewer', 'dist', 'viewer.js'), 'export {};');
    t = await startTestServer({ CLIENT_DIR: clientDir });
  });
  afterAll(async () => {
    await t?.stop();
    await fs.rm(clientDir, { recursive: true, force: true });
  });

  it('keeps the shell’s hashed files a year, asks for the page every time and for the viewer bundle hourly', async () => {
    expect(await get('/assets/index-Ab12Cd34.js')).toMatchObject({ status: 200, cache: 'public, max-age=31536000, immutable', body: 'export {};' });
    for (const p of ['/', '/documents/d-1', '/patients/p-1']) {
      expect(await get(p, 'text/html'), p).toMatchObject({ status: 200, cache: 'no-cache', body: '<p>shell</p>' });
    }
    expect(await get('/viewer/viewer.js')).toMatchObject({ status: 200, cache: 'public, max-age=3600' });
  });

  it('answers a missing shell file with 404, not with the page', async () => {
    for (const accept of ['*/*', 'text/html']) {
      const res = await get('/assets/index-gone.js', accept);
      expect(res.status, accept).toBe(404);
      expect(res.body).not.toContain('<p>shell</p>');
    }
  });
});
