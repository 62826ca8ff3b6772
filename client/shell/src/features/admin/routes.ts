import type { RouteRecordRaw } from 'vue-router';

const routes: RouteRecordRaw[] = [
  { path: '/admin/demandes', name: 'admin-account-requests', component: () => import('./AccountRequestsPage.vue'), meta: { roles: ['ADMIN'] } },
  { path: '/admin/comptes', name: 'admin-accounts', component: () => import('./AccountsPage.vue'), meta: { roles: ['ADMIN'] } },
  { path: '/admin/journal', name: 'admin-audit-trail', component: () => import('./AuditTrailPage.vue'), meta: { roles: ['ADMIN'] } },
  { path: '/admin/structures', name: 'admin-facilities', component: () => import('./FacilitiesPage.vue'), meta: { roles: ['ADMIN'] } },
];

export default routes;
