import { defineConfig, type Plugin } from 'vite';

/**
 * The wado-image-loader bundle is a webpack build with an "automatic publicPath": it looks for
 * document.currentScript or the page's last <script src>, and throws when the page has neither
 * (ES modules never set currentScript; a host page whose last script is inline has no src).
 * The path only serves as a fallback URL for the worker, which is inlined and started from a
 * blob: URL, so the page location is a harmless stand-in. The build fails if the code changes,
 * rather than shipping a viewer that throws on import.
 */
function loaderPublicPathFallback(): Plugin {
  const needle = 'if(!A)throw new Error("Automatic publicPath is not supported in this browser");';
  return {
    name: 'emage-loader-public-path-fallback',
    transform(code, id) {
      if (!id.includes('cornerstone-wado-image-loader') || !code.includes('Automatic publicPath')) return null;
      if (!code.includes(needle)) this.error('cornerstone-wado-image-loader changed: update loaderPublicPathFallback');
      return { code: code.replace(needle, 'if(!A)A=self.location.href;'), map: null };
    },
  };
}

// Library build: the host pages import `/viewer/viewer.js` at run time, so the entry name must
// stay stable (no hash) and every dependency (Cornerstone, codecs, workers) is bundled here and
// nowhere else.
export default defineConfig({
  // Relative base so the chunk and the stylesheet resolve next to viewer.js wherever it is served.
  base: './',
  plugins: [loaderPublicPathFallback()],
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
