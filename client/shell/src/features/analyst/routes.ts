import type { RouteRecordRaw } from 'vue-router';

const routes: RouteRecordRaw[] = [
  { path: '/analyste', name: 'analyst-home', component: () => import('./AnalystHomePage.vue'), meta: { roles: ['ANALYST', 'ADMIN'] } },
];

export default routes;
