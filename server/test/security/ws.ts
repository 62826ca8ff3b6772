import { createClient, type Client } from 'graphql-ws';
import { WebSocket } from 'ws';

export interface LiveSocket {
  client: Client;
  /** Resolves when the server acknowledged the connection (the session was accepted). */
  acknowledged: Promise<void>;
  /** Resolves with the close code, whoever closed. */
  closed: Promise<number>;
}

/** A graphql-ws connection like the shell's, carrying a browser's cookie header. */
export function openSocket(baseUrl: string, cookie?: string, headers: Record<string, string> = {}): LiveSocket {
  const all = { ...headers, ...(cookie ? { cookie } : {}) };
  class CookieSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers: all });
    }
  }
  let ack!: () => void;
  let close!: (code: number) => void;
  const acknowledged = new Promise<void>((r) => (ack = r));
  const closed = new Promise<number>((r) => (close = r));
  const client = createClient({
    url: `${baseUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: CookieSocket,
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => undefined,
    on: {
      connected: () => ack(),
      closed: (e) => close(typeof e === 'object' && e !== null && 'code' in e ? Number(e.code) : -1),
    },
  });
  return { client, acknowledged, closed };
}
