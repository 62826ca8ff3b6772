import type { ApolloClient } from '@apollo/client/core';
import { createRouter, createWebHistory, START_LOCATION, type RouteLocationNormalized, type RouteRecordRaw } from 'vue-router';

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without a session (login, password reset, account request…). */
    public?: boolean;
    /** Roles allowed; absent = any signed-in user. */
    roles?: Array<'PHYSICIAN' | 'ANALYST' | 'ADMIN'>;
    /** Shown in reading mode, without the portal's header and footer (features/documents/reading-mode.ts). */
    reading?: boolean;
    /**
     * Starts what the page will ask for first: when the page is the one a full load opens
     * (preloadPage), or as an in-app navigation to it starts (`inApp`, preloadOnNavigation).
     */
    preload?: (route: Pick<RouteLocationNormalized, 'params'>, apollo: ApolloClient<unknown>, inApp?: boolean) => void;
  }
}

// Each feature declares its routes in features/<name>/routes.ts.
const modules = import.meta.glob<{ default: RouteRecordRaw[] }>('../features/*/routes.ts', { eager: true });
const routes: RouteRecordRaw[] = Object.values(modules).flatMap((m) => m.default);

export const router = createRouter({
  history: createWebHistory(),
  routes: [...routes, { path: '/:pathMatch(.*)*', redirect: '/' }],
  scrollBehavior: () => ({ top: 0 }),
});

/**
 * Starts downloading the code of the page at `path` (a lazily loaded route component) and what
 * its route says it will ask for first (`meta.preload`) now: at page start, while the runtime
 * configuration and the session are asked for, rather than after.
 */
export function preloadPage(path: string, apollo: ApolloClient<unknown>): void {
  const route = router.resolve(path);
  for (const record of route.matched) {
    const component = record.components?.default;
    if (typeof component === 'function') void (component as () => Promise<unknown>)().catch(() => undefined);
    record.meta.preload?.(route, apollo);
  }
}

/**
 * In-app navigations start what their page will ask for first (`meta.preload`) as they start,
 * while the router downloads the page's code, rather than once the page has rendered. Registered
 * after the access guard (App.vue), so only a navigation that guard lets through preloads.
 */
export function preloadOnNavigation(apollo: ApolloClient<unknown>): void {
  router.beforeEach((to, from) => {
    // The page a full load opens was preloaded at page start (preloadPage).
    if (from === START_LOCATION) return;
    for (const record of to.matched) record.meta.preload?.(to, apollo, true);
  });
}
