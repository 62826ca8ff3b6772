import { DefaultApolloClient } from '@vue/apollo-composable';
import { createApp } from 'vue';
import App from './App.vue';
import { createApollo } from './app/apollo';
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
  const app = createApp(App);
  app.provide(DefaultApolloClient, apollo);
  app.use(i18n);
  app.use(router);
  app.mount('#app');
}

void start();
