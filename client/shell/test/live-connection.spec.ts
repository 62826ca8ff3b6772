import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createWsClient, onReconnected, onUnauthenticated } from '../src/app/apollo';

/**
 * The shell's live connection against a real WebSocket server speaking graphql-transport-ws:
 * a replica stopping for a deploy closes with 1012 and the shell comes back on its own; an
 * ended session (4401) signs the user out and is not retried.
 */
interface Connection {
  socket: WebSocket;
  subscribed: Promise<void>;
  /** The subscribe messages received on it. */
  subscriptions: Array<{ id: string; payload: { query: string; variables?: Record<string, unknown> } }>;
}

interface FakeServer {
  url: string;
  /** Each connection's subscriptions, in order of arrival. */
  connections: Array<Connection>;
  nextConnection(): Promise<Connection>;
  close(): Promise<void>;
}

async function fakeServer(): Promise<FakeServer> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => 'graphql-transport-ws' });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const connections: FakeServer['connections'] = [];
  const waiting: Array<(c: FakeServer['connections'][number]) => void> = [];
  wss.on('connection', (socket) => {
    let subscribedNow: () => void = () => undefined;
    const subscribed = new Promise<void>((resolve) => (subscribedNow = resolve));
    const subscriptions: Connection['subscriptions'] = [];
    socket.on('message', (raw: Buffer) => {
      const msg = JSON.parse(raw.toString()) as { type: string; id: string; payload: Connection['subscriptions'][number]['payload'] };
      if (msg.type === 'connection_init') socket.send(JSON.stringify({ type: 'connection_ack' }));
      if (msg.type === 'subscribe') {
        subscriptions.push({ id: msg.id, payload: msg.payload });
        subscribedNow();
      }
    });
    const entry = { socket, subscribed, subscriptions };
    connections.push(entry);
    waiting.shift()?.(entry);
  });
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/graphql`,
    connections,
    nextConnection: () => new Promise((resolve) => waiting.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}

const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms))]);

describe('the shell’s live connection when the server closes it', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('reconnects and subscribes again after 1012 Service Restart (a replica stopping), without signing out', async () => {
    const server = await fakeServer();
    cleanups.push(() => server.close());
    let signedOut = 0;
    let reconnected = 0;
    cleanups.push(onUnauthenticated(() => signedOut++), onReconnected(() => reconnected++));
    const client = createWsClient({ url: server.url, webSocketImpl: WebSocket });
    cleanups.push(() => client.dispose());
    const errors: unknown[] = [];
    const first = server.nextConnection();
    cleanups.push(client.subscribe({ query: 'subscription { unreadNotificationCount }' }, { next: () => undefined, error: (e) => errors.push(e), complete: () => undefined }));
    const a = await within(first, 5_000, 'first connection');
    await within(a.subscribed, 5_000, 'first subscription');

    const second = server.nextConnection();
    a.socket.close(1012, 'Service restart');
    const b = await within(second, 5_000, 'reconnection after 1012');
    await within(b.subscribed, 5_000, 'subscription again after 1012');
    expect(reconnected).toBe(1);
    expect(signedOut).toBe(0);
    expect(errors).toEqual([]);
  });

  it('a subscription that declares $after resumes after the last result it received when it subscribes again (server ADR 0116)', async () => {
    const server = await fakeServer();
    cleanups.push(() => server.close());
    const client = createWsClient({ url: server.url, webSocketImpl: WebSocket });
    cleanups.push(() => client.dispose());
    const received: unknown[] = [];
    const query = 'subscription BellNotificationAdded($after: String) { notificationAdded(after: $after) { id cursor } }';
    const first = server.nextConnection();
    cleanups.push(client.subscribe({ query, variables: { after: null } }, { next: (v) => received.push(v.data), error: () => undefined, complete: () => undefined }));
    const a = await within(first, 5_000, 'first connection');
    await within(a.subscribed, 5_000, 'first subscription');
    expect(a.subscriptions[0]!.payload.variables).toEqual({ after: null });
    const { id } = a.subscriptions[0]!;
    for (const n of [1, 2]) a.socket.send(JSON.stringify({ type: 'next', id, payload: { data: { notificationAdded: { id: `n${n}`, cursor: `cursor-${n}` } } } }));
    await within((async () => { while (received.length < 2) await new Promise((r) => setTimeout(r, 20)); })(), 5_000, 'two results');

    const second = server.nextConnection();
    a.socket.close(1012, 'Service restart');
    const b = await within(second, 5_000, 'reconnection after 1012');
    await within(b.subscribed, 5_000, 'subscription again after 1012');
    expect(b.subscriptions[0]!.payload.variables).toEqual({ after: 'cursor-2' });
  });

  it('does not reconnect after 4401 (the session ended): the user is signed out', async () => {
    const server = await fakeServer();
    cleanups.push(() => server.close());
    let signedOut = 0;
    cleanups.push(onUnauthenticated(() => signedOut++));
    const client = createWsClient({ url: server.url, webSocketImpl: WebSocket });
    cleanups.push(() => client.dispose());
    let failed: unknown;
    const ended = new Promise<void>((resolve) => {
      cleanups.push(client.subscribe({ query: 'subscription { unreadNotificationCount }' }, { next: () => undefined, error: (e) => ((failed = e), resolve()), complete: () => resolve() }));
    });
    const a = await within(server.nextConnection(), 5_000, 'first connection');
    await within(a.subscribed, 5_000, 'first subscription');
    a.socket.close(4401, 'Session ended');
    await within(ended, 5_000, 'subscription ended');
    expect((failed as { code?: number }).code).toBe(4401);
    expect(signedOut).toBe(1);
    // A retry would have come within the first back-off (at most 1 s).
    await new Promise((r) => setTimeout(r, 1_500));
    expect(server.connections).toHaveLength(1);
  });
});
