import { useApolloClient } from '@vue/apollo-composable';
import { computed, onBeforeUnmount, onMounted, ref } from 'vue';
import { onReconnected } from '@/app/apollo';
import { graphql } from '@/gql';
import type { NotificationItemFragment } from '@/gql/graphql';

graphql(`
  fragment NotificationItem on Notification {
    id
    kind
    createdAt
    readAt
    exam { id title date }
    patient { id displayName }
  }
`);

const NOTIFICATIONS = graphql(`
  query BellNotifications($first: Int!, $after: String) {
    notifications(first: $first, after: $after) {
      unreadCount
      pageInfo { hasNextPage endCursor }
      edges { node { ...NotificationItem } }
    }
  }
`);

const UNREAD = graphql(`
  query BellUnreadCount { unreadNotificationCount }
`);

const UNREAD_LIVE = graphql(`
  subscription BellUnreadCountLive { unreadNotificationCount }
`);

// `after` follows the last one received (app/apollo.ts): a socket that reconnects, maybe to
// another replica, is sent first what it missed (server ADR 0116).
const ADDED_LIVE = graphql(`
  subscription BellNotificationAdded($after: String) { notificationAdded(after: $after) { ...NotificationItem cursor } }
`);

const MARK_READ = graphql(`
  mutation BellMarkRead($id: ID!) { markNotificationRead(id: $id) { id readAt } }
`);

const MARK_ALL = graphql(`
  mutation BellMarkAllRead { markAllNotificationsRead }
`);

export type NotificationItem = NotificationItemFragment;

const PAGE = 10;

/**
 * The bell's state: the unread count and the list, kept live by the two subscriptions, and
 * the list resuming after the last notification it received when the socket comes back after a
 * drop, a laptop sleep or a deploy (maybe on another replica), and refetched when the tab comes
 * back to the foreground.
 */
export function useNotifications() {
  const { resolveClient } = useApolloClient();
  const unread = ref(0);
  const items = ref<NotificationItem[]>([]);
  const hasMore = ref(false);
  const cursor = ref<string | null>(null);
  const listLoaded = ref(false);
  const loading = ref(false);
  const failed = ref(false);

  async function refreshCount(): Promise<void> {
    const res = await resolveClient().query({ query: UNREAD, fetchPolicy: 'network-only' });
    unread.value = res.data.unreadNotificationCount;
  }

  /** The first page again (replaces what is shown: read states may have changed elsewhere). */
  async function loadFirstPage(): Promise<void> {
    loading.value = true;
    try {
      const res = await resolveClient().query({ query: NOTIFICATIONS, variables: { first: PAGE }, fetchPolicy: 'network-only' });
      const c = res.data.notifications;
      items.value = c.edges.map((e) => e.node);
      hasMore.value = c.pageInfo.hasNextPage;
      cursor.value = c.pageInfo.endCursor ?? null;
      unread.value = c.unreadCount;
      listLoaded.value = true;
      failed.value = false;
    } catch {
      failed.value = true;
    } finally {
      loading.value = false;
    }
  }

  async function loadMore(): Promise<void> {
    if (!hasMore.value || loading.value) return;
    loading.value = true;
    try {
      const res = await resolveClient().query({ query: NOTIFICATIONS, variables: { first: PAGE, after: cursor.value }, fetchPolicy: 'network-only' });
      const c = res.data.notifications;
      const known = new Set(items.value.map((n) => n.id));
      items.value = [...items.value, ...c.edges.map((e) => e.node).filter((n) => !known.has(n.id))];
      hasMore.value = c.pageInfo.hasNextPage;
      cursor.value = c.pageInfo.endCursor ?? null;
      failed.value = false;
    } catch {
      failed.value = true;
    } finally {
      loading.value = false;
    }
  }

  async function markRead(n: NotificationItem): Promise<void> {
    if (n.readAt) return;
    const res = await resolveClient().mutate({ mutation: MARK_READ, variables: { id: n.id } });
    const readAt = res.data?.markNotificationRead.readAt ?? new Date().toISOString();
    items.value = items.value.map((x) => (x.id === n.id ? { ...x, readAt } : x));
    // Not a local decrement: the live count of this very change may already have arrived
    // (the event can beat the mutation's own answer), and subtracting again would undercount.
    await refreshCount().catch(() => undefined);
  }

  async function markAllRead(): Promise<void> {
    await resolveClient().mutate({ mutation: MARK_ALL });
    const now = new Date().toISOString();
    items.value = items.value.map((x) => (x.readAt ? x : { ...x, readAt: now }));
    unread.value = 0;
  }

  /** What may have been missed while no event could arrive (the tab was in the background). */
  async function catchUp(): Promise<void> {
    await (listLoaded.value ? loadFirstPage() : refreshCount().catch(() => undefined));
  }

  const stops: Array<() => void> = [];
  const onVisible = () => {
    if (document.visibilityState === 'visible') void catchUp();
  };

  onMounted(() => {
    // The bell starts listening once the page's own content is on screen: its count query and
    // live connection would otherwise compete with the page being opened (ADR 0083).
    const idle = window.requestIdleCallback(startLive, { timeout: 1000 });
    stops.push(() => window.cancelIdleCallback(idle));
  });

  function startLive(): void {
    const client = resolveClient();
    const count = client.subscribe({ query: UNREAD_LIVE }).subscribe({
      next: (r) => {
        if (typeof r.data?.unreadNotificationCount === 'number') unread.value = r.data.unreadNotificationCount;
      },
      error: () => undefined,
    });
    const added = client.subscribe({ query: ADDED_LIVE, variables: { after: null } }).subscribe({
      next: (r) => {
        const n = r.data?.notificationAdded;
        if (!n || !listLoaded.value || items.value.some((x) => x.id === n.id)) return;
        items.value = [n, ...items.value];
      },
      error: () => undefined,
    });
    // After a drop the new notifications come through the resumed subscription: only the count
    // is asked again (read states may have changed meanwhile).
    stops.push(() => count.unsubscribe(), () => added.unsubscribe(), onReconnected(() => void refreshCount().catch(() => undefined)));
    document.addEventListener('visibilitychange', onVisible);
    stops.push(() => document.removeEventListener('visibilitychange', onVisible));
    // The subscription only reports changes: the count to start from comes from a query.
    void refreshCount().catch(() => undefined);
  }
  onBeforeUnmount(() => stops.splice(0).forEach((stop) => stop()));

  return {
    unread: computed(() => unread.value),
    items: computed(() => items.value),
    hasMore: computed(() => hasMore.value),
    listLoaded: computed(() => listLoaded.value),
    loading: computed(() => loading.value),
    failed: computed(() => failed.value),
    loadFirstPage,
    loadMore,
    markRead,
    markAllRead,
  };
}
