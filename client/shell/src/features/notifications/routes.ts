import type { RouteRecordRaw } from 'vue-router';

const routes: RouteRecordRaw[] = [
  // The link of the notification e-mail: after login (the guard keeps it in ?suite=), it marks
  // the notification read and opens the patient record at that exam.
  { path: '/notifications/:id', name: 'notification', component: () => import('./NotificationOpenPage.vue'), meta: { roles: ['PHYSICIAN'] } },
];

export default routes;
