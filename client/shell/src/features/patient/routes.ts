import type { RouteRecordRaw } from 'vue-router';

const routes: RouteRecordRaw[] = [
  { path: '/patients/:id', name: 'patient', component: () => import('./PatientPage.vue'), meta: { roles: ['PHYSICIAN'] } },
];

export default routes;
