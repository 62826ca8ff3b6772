import type { RouteRecordRaw } from 'vue-router';

// Every signed-in person, whatever their role: their own password, second factors and sessions.
const routes: RouteRecordRaw[] = [
  { path: '/mon-compte', name: 'my-account', component: () => import('./AccountPage.vue') },
];

export default routes;
