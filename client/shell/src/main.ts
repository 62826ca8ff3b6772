import { DefaultApolloClient } from '@vue/apollo-composable';
import { createApp } from 'vue';
import App from './App.vue';
import { createApollo } from './app/apollo';
import { discardBootViewer } from './app/boot-requests';
import { preloadPage, router } from './app/router';
import { loadRuntimeConfig } from './app/runtime-config';
import { startSessionLoad } from './composables/useSession';
import { i18n, initialLocale } from './i18n';
import './styles.css';

async function start(): Promise<void> {
  document.documentElement.lang = initialLocale;
  const apollo = createApollo();
  startSessionLoad(apollo);
  preloadPage(location.pathname + location.search, apollo);
  await loadRuntimeConfig();
  // On an imaging document the boot script ran this module once the first image was shown
  // (src/boot.ts); its viewer is for that document's page only (a redirect to the login page, say, is not).
  router.afterEach((to) => discardBootViewer(typeof to.params.docId === 'string' ? to.params.docId : undefined));
  const app = createApp(App);
  app.provide(DefaultApolloClient, apollo);
  app.use(i18n);
  app.use(router);
  app.mount('#app');
}

void start();
