import { EventEmitter } from 'node:events';
import type { EntityManager } from '@mikro-orm/postgresql';
import pg from 'pg';
import type { Logger } from '../logger.js';

const CHANNEL = 'emage_events';

/** How the LISTEN connection shows in pg_stat_activity, for operators and for tests that cut it. */
export const LISTEN_APPLICATION_NAME = 'e-mage-listen';

interface Envelope {
  topic: string;
  payload: unknown;
}

/**
 * A time during which events may have been lost: from the last moment the connection was known
 * to listen (this process's clock) until it listened again.
 */
export interface EventGap {
  since: Date;
  until: Date;
}

export interface SubscribeOptions {
  /**
   * What this subscriber missed during a gap, as payloads of its topic: called once the
   * connection listens again, its results delivered like published events.
   */
  recover?: (gap: EventGap) => Promise<unknown[]>;
  /**
   * A payload's identity: one already delivered to this subscriber is not delivered again
   * (recovery may find what also arrived live around the gap).
   */
  key?: (payload: unknown) => string;
  /**
   * What this subscriber asks for from before it subscribed (a client resuming from a cursor):
   * called once it listens, so that nothing published meanwhile falls between the two; its
   * results are delivered like published events, `key` dropping what also arrived live.
   */
  replay?: () => Promise<unknown[]>;
}

export interface PgPubSubOptions {
  /** How often the idle LISTEN connection proves it is alive (a silent network loss sends no error). */
  heartbeatMs?: number;
  /** Longest wait between two reconnection attempts. */
  maxBackoffMs?: number;
}

/** How many delivered keys a subscriber remembers, enough to span a gap's recovery. */
const REMEMBERED_KEYS = 500;
const RECOVERY_ATTEMPTS = 5;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** One subscriber's events in order, with what a gap's recovery adds. */
class Subscriber {
  private readonly queue: unknown[] = [];
  private waiting: ((r: IteratorResult<unknown>) => void) | undefined;
  private ended = false;
  private readonly delivered = new Set<string>();
  readonly since = Date.now();

  constructor(readonly options: SubscribeOptions) {}

  push(value: unknown): void {
    if (this.ended || this.seen(value)) return;
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) waiting({ done: false, value });
    else this.queue.push(value);
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.queue.length) return Promise.resolve({ done: false, value: this.queue.shift() });
    if (this.ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  end(): void {
    this.ended = true;
    this.queue.length = 0;
    this.waiting?.({ done: true, value: undefined });
    this.waiting = undefined;
  }

  private seen(value: unknown): boolean {
    if (!this.options.key) return false;
    const key = this.options.key(value);
    if (this.delivered.has(key)) return true;
    this.delivered.add(key);
    if (this.delivered.size > REMEMBERED_KEYS) this.delivered.delete(this.delivered.values().next().value!);
    return false;
  }
}

/**
 * PubSub for type-graphql subscriptions that crosses replicas through PostgreSQL
 * LISTEN/NOTIFY: a replica never delivers only to its own subscribers. Payloads carry ids only
 * (NOTIFY is limited to 8000 bytes and events must not carry patient data); each replica loads
 * what its subscribers need.
 *
 * The LISTEN connection is lost whenever PostgreSQL fails over, restarts or a pooler or a timeout
 * closes it: the process stays up, reconnects with backoff, listens again, and subscribers with a
 * `recover` are given what they missed meanwhile (NOTIFY is not replayed). ADR 0092.
 */
export class PgPubSub {
  private readonly emitter = new EventEmitter();
  private client: pg.Client | undefined;
  private closed = false;
  private reconnecting: Promise<void> | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  /** The last moment (ms) the connection was known to listen: a gap starts there. */
  private aliveAt = 0;
  private readonly subscribers = new Set<Subscriber>();
  private readonly heartbeatMs: number;
  private readonly maxBackoffMs: number;

  constructor(
    private readonly databaseUrl: string,
    private readonly logger: Logger,
    options: PgPubSubOptions = {},
  ) {
    this.emitter.setMaxListeners(0);
    this.heartbeatMs = options.heartbeatMs ?? 10_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 5_000;
  }

  /** Connects and listens; fails (at start-up) when the database cannot be reached. */
  async start(): Promise<void> {
    this.client = await this.connect();
    this.aliveAt = Date.now();
    this.heartbeat = setInterval(() => this.beat(), this.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Whether events are being received now (readiness). */
  get listening(): boolean {
    return this.client !== undefined;
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: LISTEN_APPLICATION_NAME, keepAlive: true });
    // A lost connection reports itself several times (the server's FATAL message, then the
    // socket's end, each an 'error'): these handlers stay for the client's whole life so that
    // none is ever unhandled, and only the first report about the current client counts.
    client.on('error', (err) => this.lost(client, err.message));
    client.on('end', () => this.lost(client, 'connection ended'));
    client.on('notification', (msg) => {
      if (msg.channel !== CHANNEL || !msg.payload) return;
      this.aliveAt = Date.now();
      try {
        const env = JSON.parse(msg.payload) as Envelope;
        this.emitter.emit(env.topic, env.payload);
      } catch (err) {
        this.logger.warn({ err }, 'ignored malformed event');
      }
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      return client;
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
  }

  private lost(client: pg.Client, reason: string): void {
    if (client !== this.client || this.closed) return;
    this.client = undefined;
    this.logger.warn({ err: reason }, 'pubsub connection lost, reconnecting');
    client.end().catch(() => undefined);
    this.reconnecting ??= this.reconnect().finally(() => (this.reconnecting = undefined));
  }

  /** Never rejects: retries until it listens again or the pubsub is closed. */
  private async reconnect(): Promise<void> {
    const since = new Date(this.aliveAt);
    for (let attempt = 0; !this.closed; attempt++) {
      // Full jitter: replicas that lost the database together do not all come back at once.
      await delay(Math.random() * Math.min(100 * 2 ** attempt, this.maxBackoffMs));
      if (this.closed) return;
      try {
        const client = await this.connect();
        if (this.closed) {
          await client.end().catch(() => undefined);
          return;
        }
        this.client = client;
        this.aliveAt = Date.now();
        this.logger.warn({ attempts: attempt + 1, gapMs: this.aliveAt - since.getTime() }, 'pubsub listening again');
        // One that subscribed during the gap missed only what followed its subscription.
        for (const subscriber of this.subscribers) {
          void this.recover(subscriber, { since: new Date(Math.max(since.getTime(), subscriber.since)), until: new Date(this.aliveAt) });
        }
        return;
      } catch (err) {
        this.logger.debug({ err: err instanceof Error ? err.message : String(err), attempt }, 'pubsub reconnection failed');
      }
    }
  }

  private async recover(subscriber: Subscriber, gap: EventGap): Promise<void> {
    const { recover } = subscriber.options;
    if (recover) await this.deliver(subscriber, () => recover(gap));
  }

  /** Pushes what `find` returns to the subscriber, retrying a few times when it fails. */
  private async deliver(subscriber: Subscriber, find: () => Promise<unknown[]>): Promise<void> {
    for (let attempt = 1; !this.closed; attempt++) {
      try {
        for (const payload of await find()) subscriber.push(payload);
        return;
      } catch (err) {
        if (attempt >= RECOVERY_ATTEMPTS) {
          this.logger.warn({ err: { name: err instanceof Error ? err.name : typeof err } }, 'missed events could not be recovered');
          return;
        }
        await delay(200 * attempt);
      }
    }
  }

  /** An idle connection may be dead without a word (network loss): a query that gets no answer tells. */
  private beat(): void {
    const client = this.client;
    if (!client) return;
    const timeout = setTimeout(() => this.lost(client, 'heartbeat unanswered'), Math.min(5_000, this.heartbeatMs));
    timeout.unref();
    client.query('select 1').then(
      () => {
        clearTimeout(timeout);
        if (client === this.client) this.aliveAt = Date.now();
      },
      (err: unknown) => {
        clearTimeout(timeout);
        this.lost(client, err instanceof Error ? err.message : String(err));
      },
    );
  }

  /** Publishes inside the caller's transaction: delivered only if and when it commits. */
  async publishInTransaction(em: EntityManager, topic: string, payload: unknown): Promise<void> {
    await em.execute('select pg_notify(?, ?)', [CHANNEL, JSON.stringify({ topic, payload } satisfies Envelope)]);
  }

  /** type-graphql PubSub contract. */
  publish(topic: string, payload: unknown): void {
    const client = this.client;
    if (!client) {
      this.logger.warn({ topic: topic.split(':')[0] }, 'event not published: pubsub disconnected');
      return;
    }
    client
      .query('select pg_notify($1, $2)', [CHANNEL, JSON.stringify({ topic, payload } satisfies Envelope)])
      .catch((err: unknown) => this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'publish failed'));
  }

  /**
   * type-graphql PubSub contract: an async iterable of the topic's payloads. `options` gives a
   * subscriber what it missed while the connection was lost.
   */
  subscribe(topic: string, dynamicId?: unknown, options: SubscribeOptions = {}): AsyncIterable<unknown> {
    const name = dynamicId === undefined ? topic : `${topic}:${String(dynamicId)}`;
    return {
      [Symbol.asyncIterator]: () => {
        const subscriber = new Subscriber(options);
        const listener = (payload: unknown) => subscriber.push(payload);
        this.emitter.on(name, listener);
        this.subscribers.add(subscriber);
        const stop = () => {
          this.emitter.off(name, listener);
          this.subscribers.delete(subscriber);
          subscriber.end();
        };
        if (this.closed) stop();
        else if (options.replay) void this.deliver(subscriber, options.replay);
        return {
          next: () => subscriber.next(),
          return: async () => {
            stop();
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
    clearInterval(this.heartbeat);
    for (const subscriber of this.subscribers) subscriber.end();
    this.subscribers.clear();
    this.emitter.removeAllListeners();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
