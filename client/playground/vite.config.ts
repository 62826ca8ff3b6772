import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Served by the portal itself (/graphql for browsers, assets under /playground/): no CDN,
// hospital networks are closed.
export default defineConfig({
  plugins: [react()],
  base: '/playground/',
  build: { outDir: 'dist', chunkSizeWarningLimit: 3000 },
});
