import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without a session (login, password reset, account request…). */
    public?: boolean;
    /** Roles allowed; absent = any signed-in user. */
    roles?: Array<'PHYSICIAN' | 'ANALYST' | 'ADMIN'>;
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
 * Starts downloading the code of the page at `path` (a lazily loaded route component) now: at
 * page start, while the runtime configuration and the session are asked for, rather than after.
 */
export function preloadPage(path: string): void {
  for (const record of router.resolve(path).matched) {
    const component = record.components?.default;
    if (typeof component === 'function') void (component as () => Promise<unknown>)().catch(() => undefined);
  }
}
