import type { ApolloClient } from '@apollo/client/core';
import { useApolloClient } from '@vue/apollo-composable';
import { computed, ref } from 'vue';
import { graphql } from '@/gql';
import type { MeQuery } from '@/gql/graphql';
import { resetLiveConnection } from '@/app/apollo';
import { takeBootRequest } from '@/app/boot-requests';

export type SessionUser = NonNullable<MeQuery['me']>;

export const ME_QUERY = graphql(`
  query Me {
    me { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds }
  }
`);

/**
 * The server writes a session's "last seen" at most every 5 s, so its idle deadline can be up
 * to 5 s earlier than "now + timeout" after a request: the local deadline takes that margin,
 * never later than the server's.
 */
const SERVER_TOUCH_MARGIN_MS = 5_000;

function deadlineFrom(u: SessionUser | null): number | null {
  if (!u) return null;
  const timeoutMs = u.idleTimeoutSeconds * 1000;
  return Date.now() + timeoutMs - Math.min(SERVER_TOUCH_MARGIN_MS, timeoutMs / 10);
}

const user = ref<SessionUser | null>(null);
const loaded = ref(false);
/** Local clock time when the server will consider the session idle-expired. */
const idleDeadline = ref<number | null>(null);

/** A `me` request started before the app mounted, that the first refresh() takes over. */
let early: Promise<SessionUser | null> | undefined;

async function fetchMe(client: ApolloClient<unknown>): Promise<SessionUser | null> {
  const res = await client.query({ query: ME_QUERY, fetchPolicy: 'network-only' });
  return res.data.me ?? null;
}

/**
 * Starts asking who is signed in at page start, alongside the runtime configuration, rather
 * than after it: the first navigation's guard waits for this answer. The boot script (src/boot.ts)
 * has usually asked already; its answer then goes into the Apollo cache as the query's would.
 */
export function startSessionLoad(client: ApolloClient<unknown>): void {
  const boot = takeBootRequest('me');
  early = boot
    ? boot.then((body) => {
        if (!body.data || body.errors?.length) throw new Error('The session could not be read');
        const data = body.data as MeQuery;
        client.writeQuery({ query: ME_QUERY, data });
        return data.me ?? null;
      })
    : fetchMe(client);
  early.catch(() => undefined);
}

/** The last reading-activity request (Date.now()), shared by every viewer of the page. */
let lastReadingPing = -Infinity;
/** At most one reading-activity request per minute, more often only when the timeout is short. */
const READING_PING_MAX_INTERVAL_MS = 60_000;

/** The signed-in user and the session's idle deadline, shared by the whole shell. */
export function useSession() {
  const { resolveClient } = useApolloClient();

  async function refresh(): Promise<SessionUser | null> {
    const pending = early;
    early = undefined;
    user.value = await (pending ?? fetchMe(resolveClient()));
    loaded.value = true;
    idleDeadline.value = deadlineFrom(user.value);
    return user.value;
  }

  function setUser(u: SessionUser | null): void {
    user.value = u;
    loaded.value = true;
    idleDeadline.value = deadlineFrom(u);
  }

  /** Each HTTP request slides the server's idle expiry; mirror it locally. */
  function touched(): void {
    if (user.value) idleDeadline.value = deadlineFrom(user.value);
  }

  /**
   * The image viewer reports the user's input: reading cached images sends no request, so this
   * sends one (the `me` query, an authenticated request that slides the server's idle expiry) at
   * most once per min(60 s, a quarter of the timeout), enough for the deadline never to come near.
   * An unattended viewer reports nothing and the session still ends (issue 19, ADR 0107).
   */
  function readingActivity(): void {
    const u = user.value;
    if (!u) return;
    const now = Date.now();
    if (now - lastReadingPing < Math.min(READING_PING_MAX_INTERVAL_MS, u.idleTimeoutSeconds * 250)) return;
    lastReadingPing = now;
    void refresh().catch(() => undefined);
  }

  /**
   * Ends the session. The answer names the provider's logout page when the session came from
   * Pro Santé Connect (ADR 0124): the caller sends the browser there, or null.
   */
  async function logout(): Promise<string | null> {
    const client = resolveClient();
    try {
      const res = await fetch('/api/auth/logout', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: '{}' });
      if (!res.ok) return null;
      const body = (await res.json()) as { redirectTo?: unknown };
      return typeof body.redirectTo === 'string' ? body.redirectTo : null;
    } finally {
      resetLiveConnection();
      await client.clearStore();
      setUser(null);
    }
  }

  /**
   * Asks the server how long the session has left, without extending it: DICOMweb requests of
   * the image viewer keep the session alive out of the GraphQL client's sight. Returns false
   * when the session is over.
   */
  async function syncWithServer(): Promise<boolean> {
    try {
      const res = await fetch('/api/session', { credentials: 'same-origin', cache: 'no-store' });
      if (res.status === 401) return false;
      if (!res.ok) return true;
      const body = (await res.json()) as { idleRemainingSeconds: number };
      if (user.value) idleDeadline.value = Date.now() + body.idleRemainingSeconds * 1000;
      return true;
    } catch {
      return true; // offline: keep the local deadline
    }
  }

  /**
   * The idle deadline passed in this tab. The server ends the session on its own; logging out
   * as well leaves no doubt when the clocks differ.
   */
  async function expired(): Promise<void> {
    if (!user.value) return;
    // The provider's session is left: the person did not ask to log out of it.
    await logout().catch(() => undefined);
  }

  /** The session ended on the server's side (idle timeout, reset elsewhere). */
  async function ended(): Promise<void> {
    resetLiveConnection();
    await resolveClient().clearStore();
    setUser(null);
  }

  return {
    user: computed(() => user.value),
    loaded: computed(() => loaded.value),
    idleDeadline: computed(() => idleDeadline.value),
    refresh,
    setUser,
    touched,
    readingActivity,
    syncWithServer,
    logout,
    expired,
    ended,
  };
}
