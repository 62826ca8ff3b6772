import { defineConfig } from 'vite';

// Library build: the host pages import `/viewer/viewer.js` at run time, so the entry name must
// stay stable (no hash) and every dependency (Cornerstone, codecs, workers) is bundled here and
// nowhere else.
export default defineConfig({
  // Relative base so the chunk and the stylesheet resolve next to viewer.js wherever it is served.
  base: './',
  resolve: {
    // The packages' "main" files are development builds (cornerstone-tools even carries webpack
    // hot-reload hooks); their minified production builds have the same API.
    alias: {
      'cornerstone-tools': 'cornerstone-tools/dist/cornerstoneTools.min.js',
      'cornerstone-core': 'cornerstone-core/dist/cornerstone.min.js',
    },
  },
  define: {
    // Library mode leaves process.env alone; the Cornerstone bundles read NODE_ENV and there is no
    // `process` in a browser.
    'process.env.NODE_ENV': JSON.stringify('production'),
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // Library mode does not minify ES output by default; the viewer is an end product, not a library.
    minify: true,
    // The wado-image-loader inlines its worker and wasm codecs (~1.4 MB); that is expected.
    chunkSizeWarningLimit: 4096,
    lib: {
      entry: 'src/index.ts',
      formats: ['es'],
      fileName: () => 'viewer.js',
      cssFileName: 'viewer',
    },
  },
});
