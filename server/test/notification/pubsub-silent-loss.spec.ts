import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/infra/logger.js';
import { PgPubSub } from '../../src/infra/pubsub/pg-pubsub.js';
import { createTestDatabase, type TestDatabase } from '../harness.js';

/**
 * A TCP relay to PostgreSQL that can go silent, as a network that drops packets does: the
 * connections it carries then neither answer nor fail.
 */
async function silenceableRelay(target: URL): Promise<{ url: string; silence(): void; close(): Promise<void> }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      s.on('error', () => undefined);
      sockets.push(s);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    silence() {
      // The connections open now stop carrying anything; new ones still work.
      for (const s of sockets.splice(0)) {
        s.unpipe();
        s.pause();
        s.removeAllListeners('data');
      }
    },
    async close() {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

async function until(what: string, probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a LISTEN connection that dies without a word (network loss) is found out and replaced', () => {
  let db: TestDatabase;
  let relay: Awaited<ReturnType<typeof silenceableRelay>>;
  let listener: PgPubSub;
  let publisher: PgPubSub;

  beforeAll(async () => {
    db = await createTestDatabase();
    relay = await silenceableRelay(new URL(db.url));
    const logger = createLogger('silent');
    listener = new PgPubSub(relay.url, logger, { heartbeatMs: 300 });
    publisher = new PgPubSub(db.url, logger);
    await Promise.all([listener.start(), publisher.start()]);
  });
  afterAll(async () => {
    await listener?.close();
    await publisher?.close();
    await relay?.close();
    await db?.drop();
  });

  it('the heartbeat gets no answer: not ready meanwhile, listening again on a new connection, subscribers recover, later events arrive', async () => {
    const events = listener.subscribe('topic:silent', undefined, { recover: async () => [{ recovered: true }] })[Symbol.asyncIterator]();
    expect(listener.listening).toBe(true);

    relay.silence();
    await until('the silent loss noticed', () => !listener.listening);
    await until('listening again', () => listener.listening);
    expect((await events.next()).value).toEqual({ recovered: true });

    publisher.publish('topic:silent', { after: true });
    expect((await events.next()).value).toEqual({ after: true });
    await events.return?.();
  });
});
