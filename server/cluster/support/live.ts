import { createClient, type Client } from 'graphql-ws';
import { WebSocket } from 'ws';

/**
 * A browser tab's live notifications through the balancer, as the shell keeps them: graphql-ws
 * retrying every close but a session's end, and resubscribing with the cursor of the last
 * notification received (ADR 0116), so that a socket that comes back on another replica gets
 * what it missed. Records which replica held each connection (HAProxy's X-Replica on the 101).
 */
export const RESUMABLE = `subscription($after: String) { notificationAdded(after: $after) { id cursor exam { id } } }`;

interface Added {
  notificationAdded: { id: string; cursor: string; exam: { id: string } };
}

export interface LiveTab {
  /** Notification ids received, each once (a resumed subscription may send one again: dropped, as the shell does). */
  readonly ids: Set<string>;
  /** The replica of each connection, in order. */
  readonly replicas: string[];
  readonly errors: unknown[];
  /** Resolves once every id is in `ids`; rejects after timeoutMs naming the missing ones. */
  receive(ids: Iterable<string>, timeoutMs?: number): Promise<void>;
  /** Resolves when a connection is acknowledged. */
  connected(): Promise<void>;
  close(): Promise<void>;
}

export function openTab(baseUrl: string, cookie: string, after: string | null = null): LiveTab {
  const ids = new Set<string>();
  const replicas: string[] = [];
  const errors: unknown[] = [];
  let waiters: Array<() => void> = [];
  const wake = () => {
    const w = waiters;
    waiters = [];
    w.forEach((f) => f());
  };
  class BalancedSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers: { cookie } });
      this.once('upgrade', (res) => replicas.push(String(res.headers['x-replica'] ?? '?')));
    }
  }
  let acks = 0;
  const client: Client = createClient({
    url: `${baseUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: BalancedSocket,
    retryAttempts: Infinity,
    shouldRetry: (e) => !(e && typeof e === 'object' && 'code' in e && (e.code === 4401 || e.code === 4403)),
    retryWait: () => new Promise((r) => setTimeout(r, 200 + Math.random() * 300)),
    on: {
      connected: () => {
        acks++;
        wake();
      },
    },
  });
  // graphql-ws sends this payload again on every reconnection: the cursor moves with what arrives.
  const payload: { query: string; variables: { after: string | null } } = { query: RESUMABLE, variables: { after } };
  client.subscribe<Added>(payload, {
    next: (value) => {
      const n = value.data?.notificationAdded;
      if (value.errors?.length) errors.push(value.errors);
      if (!n) return;
      ids.add(n.id);
      payload.variables = { after: n.cursor };
      wake();
    },
    error: (e) => {
      errors.push(e);
      wake();
    },
    complete: () => undefined,
  });
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  return {
    ids,
    replicas,
    errors,
    async receive(expected, timeoutMs = 20_000) {
      const want = [...expected];
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const missing = want.filter((id) => !ids.has(id));
        if (missing.length === 0) return;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`missing ${missing.length} of ${want.length} notifications (replicas ${replicas.join(' → ')}, errors ${JSON.stringify(errors)})`);
        await wait(Math.min(left, 500));
      }
    },
    async connected() {
      const deadline = Date.now() + 15_000;
      while (acks === 0) {
        if (Date.now() > deadline) throw new Error(`no connection acknowledged (errors ${JSON.stringify(errors)})`);
        await wait(200);
      }
    },
    close: () => client.dispose() as Promise<void>,
  };
}
