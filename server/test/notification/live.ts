import type { EventEmitter } from 'node:events';
import type { Client } from 'graphql-ws';
import { PgPubSub } from '../../src/infra/pubsub/pg-pubsub.js';
import { NOTIFICATION_TOPIC, UNREAD_TOPIC } from '../../src/modules/notification/notification.service.js';
import { openSocket, type LiveSocket } from '../security/ws.js';

export const NOTIFICATION_ADDED = `subscription { notificationAdded { id createdAt readAt exam { id title } patient { id displayName } } }`;
/** The same, resuming after a cursor (ADR 0116). */
export const NOTIFICATION_ADDED_AFTER = `subscription($after: String) { notificationAdded(after: $after) { id cursor exam { id } } }`;
export const UNREAD_COUNT = `subscription { unreadNotificationCount }`;

export interface AddedEvent {
  notificationAdded: { id: string; createdAt: string; readAt: string | null; exam: { id: string; title: string }; patient: { id: string; displayName: string } };
}

export interface ResumedEvent {
  notificationAdded: { id: string; cursor: string; exam: { id: string } };
}

export interface FeedError {
  code: string | number | undefined;
  message: string;
}

/** One subscription's events, in order, as a test reads them. */
export interface Feed<T> {
  readonly events: T[];
  readonly errors: FeedError[];
  /** The next event not read yet, or a rejection after timeoutMs. */
  next(timeoutMs?: number): Promise<T>;
  /** Resolves with an error or completion, whichever ends the subscription. */
  ended: Promise<'error' | 'complete'>;
  stop(): void;
}

function asFeedError(e: unknown): FeedError {
  if (Array.isArray(e)) {
    const first = e[0] as { message?: string; extensions?: { code?: string } } | undefined;
    return { code: first?.extensions?.code, message: first?.message ?? '' };
  }
  if (e && typeof e === 'object' && 'code' in e) return { code: Number((e as { code: unknown }).code), message: String((e as { reason?: unknown }).reason ?? '') };
  return { code: undefined, message: String(e) };
}

export function subscribe<T>(client: Client, query: string, variables?: Record<string, unknown>): Feed<T> {
  const events: T[] = [];
  const errors: FeedError[] = [];
  let read = 0;
  let wake: (() => void) | undefined;
  let end!: (how: 'error' | 'complete') => void;
  const ended = new Promise<'error' | 'complete'>((r) => (end = r));
  const stop = client.subscribe<T>(
    { query, variables },
    {
      next: (value) => {
        if (value.errors?.length) errors.push(asFeedError(value.errors));
        else events.push(value.data as T);
        wake?.();
      },
      error: (e) => {
        errors.push(asFeedError(e));
        end('error');
        wake?.();
      },
      complete: () => end('complete'),
    },
  );
  const nextArrival = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  return {
    events,
    errors,
    ended,
    stop,
    async next(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (read >= events.length) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`No event within ${timeoutMs} ms (errors: ${JSON.stringify(errors)})`);
        await nextArrival(left);
      }
      return events[read++]!;
    },
  };
}

/**
 * graphql-ws starts a subscription some time after the client sent it, with no message to say
 * so; an event published before then is not for it. Waits until the replica listens on the
 * topic. The listener count is read from PgPubSub's emitter, which it does not expose: probing
 * with events instead leaves stray answers that make "exactly one event" checks flaky.
 */
export async function untilListening(pubsub: PgPubSub, topic: string, count = 1, timeoutMs = 5000): Promise<void> {
  const emitter = (pubsub as unknown as { emitter: EventEmitter }).emitter;
  const deadline = Date.now() + timeoutMs;
  while (emitter.listenerCount(topic) < count) {
    if (Date.now() > deadline) throw new Error(`Nobody subscribed to ${topic} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const notificationTopic = (userId: string): string => PgPubSub.topicFor(NOTIFICATION_TOPIC, userId);
export const unreadTopic = (userId: string): string => PgPubSub.topicFor(UNREAD_TOPIC, userId);

/** A browser tab's live connection for a logged-in client (its cookie header). */
export async function liveFor(baseUrl: string, cookie: string): Promise<LiveSocket> {
  const socket = openSocket(baseUrl, cookie);
  await Promise.race([
    socket.acknowledged,
    socket.closed.then((code) => Promise.reject(new Error(`WebSocket refused (${code})`))),
  ]);
  return socket;
}
