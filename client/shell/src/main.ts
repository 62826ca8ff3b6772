import { DefaultApolloClient } from '@vue/apollo-composable';
import { createApp } from 'vue';
import App from './App.vue';
import { createApollo } from './app/apollo';
import { discardBootViewer } from './app/boot-requests';
import { preloadOnNavigation, preloadPage, router } from './app/router';
import { loadRuntimeConfig } from './app/runtime-config';
import { startSessionLoad } from './composables/useSession';
import { discardStudyMetadata } from './features/viewer/study-metadata';
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
  // The same for the metadata an in-app navigation to a document asked for (study-metadata.ts).
  router.afterEach((to) => {
    const docId = typeof to.params.docId === 'string' ? to.params.docId : undefined;
    discardBootViewer(docId);
    discardStudyMetadata(docId);
  });
  const app = createApp(App);
  app.provide(DefaultApolloClient, apollo);
  app.use(i18n);
  app.use(router);
  app.mount('#app');
  preloadOnNavigation(apollo);
}

void start();
