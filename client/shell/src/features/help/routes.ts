import type { RouteRecordRaw } from 'vue-router';

/** Public: « Hors ligne ? Aide » must work for anyone, session or not. */
const routes: RouteRecordRaw[] = [{ path: '/aide', name: 'help', component: () => import('./HelpPage.vue'), meta: { public: true } }];

export default routes;
