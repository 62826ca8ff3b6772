import { createApp } from 'vue';
import SharePage from './SharePage.vue';
import { i18n, initialLocale } from './i18n';
import './styles.css';

document.documentElement.lang = initialLocale;
createApp(SharePage).use(i18n).mount('#share');
