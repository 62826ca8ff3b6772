import type { RouteRecordRaw } from 'vue-router';
import { preloadDocument } from './document-query';

/**
 * A document inside its patient's record, and the same document on its own (what « Ouvrir dans
 * un nouvel onglet » and « Ouvrir dans une pop-up » open): both are deep links that work after
 * login, since the login page returns to ?suite=. The latter is in reading mode (reading-mode.ts).
 */
const routes: RouteRecordRaw[] = [
  { path: '/patients/:id/documents/:docId', name: 'record-document', component: () => import('./DocumentPage.vue'), meta: { roles: ['PHYSICIAN'], preload: preloadDocument } },
  { path: '/documents/:docId', name: 'document', component: () => import('./DocumentPage.vue'), props: { standalone: true }, meta: { roles: ['PHYSICIAN'], preload: preloadDocument, reading: true } },
];

export default routes;
