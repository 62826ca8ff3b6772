import { EventEmitter, on } from 'node:events';
import type { EntityManager } from '@mikro-orm/postgresql';
import pg from 'pg';
import type { Logger } from '../logger.js';

const CHANNEL = 'emage_events';

interface Envelope {
  topic: string;
  payload: unknown;
}

/**
 * PubSub for type-graphql subscriptions that crosses replicas through PostgreSQL
 * LISTEN/NOTIFY: a replica never delivers only to its own subscribers. Payloads carry ids only
 * (NOTIFY is limited to 8000 bytes and events must not carry patient data); each replica loads
 * what its subscribers need.
 */
export class PgPubSub {
  private readonly emitter = new EventEmitter();
  private client: pg.Client | undefined;
  private closed = false;
  private readonly reconnectListeners = new Set<() => void>();

  constructor(
    private readonly databaseUrl: string,
    private readonly logger: Logger,
  ) {
    this.emitter.setMaxListeners(0);
  }

  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    client.on('notification', (msg) => {
      if (msg.channel !== CHANNEL || !msg.payload) return;
      try {
        const env = JSON.parse(msg.payload) as Envelope;
        this.emitter.emit(env.topic, env.payload);
      } catch (err) {
        this.logger.warn({ err }, 'ignored malformed event');
      }
    });
    client.on('error', (err) => {
      this.logger.warn({ err: err.message }, 'pubsub connection lost, reconnecting');
      void this.reconnect();
    });
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.client = client;
  }

  private async reconnect(): Promise<void> {
    if (this.closed) return;
    this.client?.removeAllListeners();
    this.client = undefined;
    for (let attempt = 0; !this.closed; attempt++) {
      try {
        await this.connect();
        // Events sent while disconnected are lost: listeners refetch their state.
        for (const l of this.reconnectListeners) l();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 5000)));
      }
    }
  }

  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  /** Publishes inside the caller's transaction: delivered only if and when it commits. */
  async publishInTransaction(em: EntityManager, topic: string, payload: unknown): Promise<void> {
    await em.execute('select pg_notify(?, ?)', [CHANNEL, JSON.stringify({ topic, payload } satisfies Envelope)]);
  }

  /** type-graphql PubSub contract. */
  publish(topic: string, payload: unknown): void {
    const client = this.client;
    if (!client) return;
    client
      .query('select pg_notify($1, $2)', [CHANNEL, JSON.stringify({ topic, payload } satisfies Envelope)])
      .catch((err: unknown) => this.logger.warn({ err }, 'publish failed'));
  }

  /** type-graphql PubSub contract: an async iterable of the topic's payloads. */
  subscribe(topic: string, dynamicId?: unknown): AsyncIterable<unknown> {
    const name = dynamicId === undefined ? topic : `${topic}:${String(dynamicId)}`;
    const emitter = this.emitter;
    return {
      [Symbol.asyncIterator]: () => {
        const ac = new AbortController();
        const it = on(emitter, name, { signal: ac.signal });
        return {
          next: async () => {
            try {
              const r = await it.next();
              return r.done ? { done: true, value: undefined } : { done: false, value: (r.value as unknown[])[0] };
            } catch {
              return { done: true, value: undefined };
            }
          },
          return: async () => {
            ac.abort();
            return { done: true, value: undefined };
          },
        };
      },
    };
  }

  /** For a topic scoped to one recipient, e.g. topicFor('notification', userId). */
  static topicFor(topic: string, id: string): string {
    return `${topic}:${id}`;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.emitter.removeAllListeners();
    await this.client?.end().catch(() => undefined);
  }
}
