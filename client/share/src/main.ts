import { createApp } from 'vue';
import SharePage from './SharePage.vue';

createApp(SharePage).mount('#share');
