import { ApolloClient, HttpLink, InMemoryCache, from, split } from '@apollo/client/core';
import { onError } from '@apollo/client/link/error';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import type { FormattedExecutionResult } from 'graphql';
import { createClient, type Client, type ClientOptions, type Sink, type SubscribePayload } from 'graphql-ws';

type Listener = () => void;
const unauthenticatedListeners = new Set<Listener>();
const reconnectListeners = new Set<Listener>();
const activityListeners = new Set<Listener>();

/** Called when the server says the session is gone (idle timeout, logout elsewhere). */
export function onUnauthenticated(l: Listener): () => void {
  unauthenticatedListeners.add(l);
  return () => unauthenticatedListeners.delete(l);
}
/** Called when the live connection comes back after a drop: refetch what may have been missed. */
export function onReconnected(l: Listener): () => void {
  reconnectListeners.add(l);
  return () => reconnectListeners.delete(l);
}
/** Called after each HTTP operation: the server slid the session's idle expiry. */
export function onServerActivity(l: Listener): () => void {
  activityListeners.add(l);
  return () => activityListeners.delete(l);
}

/**
 * The server's close codes that end the session: the shell signs out and does not reconnect.
 * Every other close is retried, 1012 Service Restart among them: a replica stopping for a
 * deploy, whose sockets come back on another one (server ADR 0112).
 */
const closedBySession = (e: unknown): boolean =>
  !!e && typeof e === 'object' && 'code' in e && (e.code === 4401 || e.code === 4403);

/**
 * A subscription that declares `$after` resumes after the last result it received (server
 * ADR 0116): graphql-ws sends the same payload again whenever it reconnects, maybe to another
 * replica, so `after` follows the `cursor` of each result's root field, and the server sends
 * first what followed it.
 */
function resumingAfterLast(payload: SubscribePayload, sink: Sink<FormattedExecutionResult>): Sink<FormattedExecutionResult> {
  if (!/\$after\b/.test(payload.query)) return sink;
  const resent = payload as { variables?: Record<string, unknown> | null };
  return {
    ...sink,
    next: (value) => {
      const root: unknown = value.data && Object.values(value.data)[0];
      const cursor = root && typeof root === 'object' && 'cursor' in root ? root.cursor : undefined;
      if (typeof cursor === 'string') resent.variables = { ...(resent.variables ?? {}), after: cursor };
      sink.next(value);
    },
  };
}

/** `url` and `webSocketImpl` are for tests, which run outside a browser. */
export function createWsClient(overrides: Pick<ClientOptions, 'url' | 'webSocketImpl'> = { url: `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/graphql` }): Client {
  let connectedOnce = false;
  const client = createClient({
    ...overrides,
    lazy: true,
    retryAttempts: Infinity,
    shouldRetry: (e) => !closedBySession(e),
    // Exponential back-off with jitter, capped at 30 s.
    retryWait: async (retries) => {
      const ms = Math.min(30_000, 1000 * 2 ** retries) * (0.5 + Math.random() / 2);
      await new Promise((r) => setTimeout(r, ms));
    },
    on: {
      connected: () => {
        if (connectedOnce) reconnectListeners.forEach((l) => l());
        connectedOnce = true;
      },
      closed: (e) => {
        if (closedBySession(e)) unauthenticatedListeners.forEach((l) => l());
      },
    },
  });
  return { ...client, subscribe: (payload, sink) => client.subscribe(payload, resumingAfterLast(payload, sink as Sink<FormattedExecutionResult>)) };
}

let wsClient: Client | undefined;

/** Closes the live connection (logout); the next subscription opens a new one. */
export function resetLiveConnection(): void {
  void wsClient?.dispose();
  wsClient = undefined;
}

export function createApollo(): ApolloClient<unknown> {
  const http = new HttpLink({
    uri: '/graphql',
    credentials: 'same-origin',
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      activityListeners.forEach((l) => l());
      return res;
    },
  });
  const ws = new GraphQLWsLink({
    subscribe: (payload, sink) => {
      wsClient ??= createWsClient();
      return wsClient.subscribe(payload, sink);
    },
  } as Client);
  const errors = onError(({ graphQLErrors, operation }) => {
    if (operation.operationName !== 'Me' && graphQLErrors?.some((e) => e.extensions?.code === 'UNAUTHENTICATED')) {
      unauthenticatedListeners.forEach((l) => l());
    }
  });
  const link = from([
    errors,
    split(
      ({ query }) => {
        const def = getMainDefinition(query);
        return def.kind === 'OperationDefinition' && def.operation === 'subscription';
      },
      ws,
      http,
    ),
  ]);
  return new ApolloClient({
    link,
    cache: new InMemoryCache(),
    defaultOptions: { watchQuery: { fetchPolicy: 'cache-and-network' } },
  });
}
