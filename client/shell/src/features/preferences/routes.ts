import type { RouteRecordRaw } from 'vue-router';

const routes: RouteRecordRaw[] = [
  { path: '/preferences', name: 'preferences', component: () => import('./PreferencesPage.vue'), meta: { roles: ['PHYSICIAN'] } },
];

export default routes;
