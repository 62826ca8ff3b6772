import { fileURLToPath, URL } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [vue()],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  build: { outDir: 'dist', sourcemap: true, chunkSizeWarningLimit: 900 },
  server: { proxy: { '/graphql': { target: 'http://localhost:4000', ws: true }, '/dicomweb': 'http://localhost:4000', '/api': 'http://localhost:4000', '/viewer': 'http://localhost:4000' } },
});
