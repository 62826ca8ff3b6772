import type { RouteRecordRaw } from 'vue-router';

const routes: RouteRecordRaw[] = [
  { path: '/mes-partages', name: 'shares', component: () => import('./SharesPage.vue'), meta: { roles: ['PHYSICIAN'] } },
];

export default routes;
