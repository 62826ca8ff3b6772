import type { AddressInfo } from 'node:net';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { securityHeaders } from './security-headers.js';

async function headersFor(publicUrl: string): Promise<Headers> {
  const app = express();
  app.use(securityHeaders({ publicUrl }));
  app.get('/', (_req, res) => res.send('ok'));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    return (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)).headers;
  } finally {
    server.close();
  }
}

describe('Strict-Transport-Security', () => {
  it('is sent behind an https PUBLIC_URL, so browsers never fall back to HTTP', async () => {
    expect((await headersFor('https://imagerie.example.org')).get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
  });

  it('is not sent on an http PUBLIC_URL (a developer’s localhost must not be pinned to HTTPS)', async () => {
    const headers = await headersFor('http://localhost:4000');
    expect(headers.get('strict-transport-security')).toBeNull();
    expect(headers.get('content-security-policy')).toContain("default-src 'self'");
  });
});
