import { defineConfig } from 'vite';
import viewerConfig, { loaderPlugin } from './vite.config.ts';

// The viewer's Cornerstone bundle (src/engine.ts, loaded by src/viewer/engine-loader.ts): Cornerstone,
// its WADO image loader (with the loader's worker and codecs copied next to it) and dicom-parser,
// built after viewer.js into the same folder, with the same package aliases and production defines.
export default defineConfig({
  ...viewerConfig,
  plugins: [loaderPlugin()],
  build: {
    ...viewerConfig.build,
    emptyOutDir: false,
    lib: { entry: 'src/engine.ts', formats: ['es'], fileName: () => 'viewer-engine.js' },
  },
});
