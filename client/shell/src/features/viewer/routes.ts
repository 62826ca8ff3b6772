import type { RouteRecordRaw } from 'vue-router';

/**
 * The stand-alone viewer of an imaging document, for "Ouvrir dans un nouvel onglet" and
 * "Ouvrir dans une pop-up": a deep link that works after login like any other page.
 */
const routes: RouteRecordRaw[] = [
  { path: '/visionneuse/:docId', name: 'viewer', component: () => import('./ViewerPage.vue'), meta: { roles: ['PHYSICIAN'] } },
];

export default routes;
