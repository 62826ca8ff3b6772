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
