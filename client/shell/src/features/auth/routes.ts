import type { RouteRecordRaw } from 'vue-router';

const routes: RouteRecordRaw[] = [
  { path: '/connexion', name: 'login', component: () => import('./LoginPage.vue'), meta: { public: true } },
];

export default routes;
