import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

// The public share page, served by the portal under /share-app/ for links /s/<token>.
export default defineConfig({
  plugins: [vue()],
  base: '/share-app/',
  build: { outDir: 'dist' },
});
