import { defineConfig } from 'vite';
import viewerConfig from './vite.config.ts';

// The viewer's second bundle (src/cornerstone/tools.ts): Cornerstone's tools, built after
// viewer.js into the same folder, with the same package aliases and production defines.
export default defineConfig({
  ...viewerConfig,
  plugins: [],
  build: {
    ...viewerConfig.build,
    emptyOutDir: false,
    lib: { entry: 'src/cornerstone/tools-entry.ts', formats: ['es'], fileName: () => 'viewer-tools.js' },
  },
});
