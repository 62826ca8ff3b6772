import type { RouteRecordRaw } from 'vue-router';

const routes: RouteRecordRaw[] = [
  { path: '/connexion', name: 'login', component: () => import('./LoginPage.vue'), meta: { public: true } },
  { path: '/mot-de-passe-oublie', name: 'forgot-password', component: () => import('./ForgotPasswordPage.vue'), meta: { public: true } },
  { path: '/reinitialiser-mot-de-passe', name: 'reset-password', component: () => import('./ResetPasswordPage.vue'), meta: { public: true } },
  { path: '/activation', name: 'activation', component: () => import('./ActivationPage.vue'), meta: { public: true } },
  { path: '/demande-de-compte', name: 'account-request', component: () => import('./AccountRequestPage.vue'), meta: { public: true } },
];

export default routes;
