import type { RouteRecordRaw } from 'vue-router';

const routes: RouteRecordRaw[] = [
  { path: '/', name: 'dashboard', component: () => import('./DashboardPage.vue'), meta: { roles: ['PHYSICIAN'] } },
];

export default routes;
