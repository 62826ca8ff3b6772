import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { loadConfig, type Config } from '../../config.js';
import { clientAddress } from './client-address.js';

/**
 * A real server on loopback: the test is the "proxy" (its connection comes from 127.0.0.1) and
 * sends the X-Forwarded-For a proxy that appends would send: what the client wrote, then the
 * address the proxy saw. Plain HTTP requests and WebSocket upgrades go through the same function.
 */
describe('clientAddress: the same trust for HTTP requests and WebSocket upgrades', () => {
  let config: Config;
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    const wss = new WebSocketServer({ noServer: true });
    server = http.createServer((req, res) => res.end(clientAddress(req, config)));
    server.on('upgrade', (req, socket, head) => {
      const address = clientAddress(req, config);
      wss.handleUpgrade(req, socket, head, (ws) => ws.send(String(address), () => ws.close()));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const overHttp = async (xff?: string): Promise<string> => (await fetch(`http://${base}/`, { headers: xff ? { 'x-forwarded-for': xff } : {} })).text();
  const overWebSocket = (xff?: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${base}/graphql`, { headers: xff ? { 'x-forwarded-for': xff } : {} });
      ws.once('message', (data: Buffer) => resolve(data.toString()));
      ws.once('error', reject);
    });
  const both = async (trustProxy: string, xff?: string): Promise<string[]> => {
    config = loadConfig({ TRUST_PROXY: trustProxy });
    return [await overHttp(xff), await overWebSocket(xff)];
  };

  it('one hop trusted: the address the proxy appended, never the one the client chose', async () => {
    expect(await both('1', '198.51.100.66, 203.0.113.7')).toEqual(['203.0.113.7', '203.0.113.7']);
    expect(await both('1', '203.0.113.8')).toEqual(['203.0.113.8', '203.0.113.8']);
  });

  it('no proxy trusted: the peer, whatever X-Forwarded-For says', async () => {
    expect(await both('0', '198.51.100.66')).toEqual(['127.0.0.1', '127.0.0.1']);
    expect(await both('false', '198.51.100.66')).toEqual(['127.0.0.1', '127.0.0.1']);
  });

  it('two hops, or a list of trusted addresses: walks back while the hops are trusted', async () => {
    const chain = '198.51.100.66, 10.0.0.5, 203.0.113.7';
    expect(await both('2', chain)).toEqual(['10.0.0.5', '10.0.0.5']);
    expect(await both('127.0.0.1', chain)).toEqual(['203.0.113.7', '203.0.113.7']);
    expect(await both('loopback, 203.0.113.0/24', chain)).toEqual(['10.0.0.5', '10.0.0.5']);
  });
});
