import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { defineConfig, type Plugin } from 'vite';

/** Name of the decode worker next to viewer.js; the server gives this one file its own CSP. */
export const DECODE_WORKER_FILE = 'decode-worker.js';

const LOADER_DIR = 'cornerstone-wado-image-loader/dist/dynamic-import';

/**
 * The wado-image-loader is used in its "dynamic-import" build: a small main bundle, a decode
 * worker without codecs, and the codecs (JPEG, JPEG-LS, JPEG 2000, HTJ2K: scripts and .wasm)
 * fetched by the worker the first time a frame needs one — a plain CT never downloads them.
 * That build is a webpack bundle which (a) finds its "public path" from document.currentScript or
 * the page's last <script src>, wrong or absent for an ES module loaded by a host page, so it is
 * set to the folder of viewer.js; (b) starts its worker from that path, under a stable name
 * (decode-worker.js) that the server serves with a CSP of its own, because the codecs' embind
 * glue builds functions with `new Function` (docs/adr/0081-viewer-decode-worker-csp.md). The
 * worker and codec files are copied next to viewer.js. The build fails if the loader's code
 * changes, rather than shipping a viewer whose codecs silently fail.
 */
function loaderFromViewerFolder(): Plugin {
  const publicPath =
    /\(\(\)=>\{var (\w);(\w)\.g\.importScripts&&\(\1=\2\.g\.location\+""\);[^]*?Automatic publicPath is not supported in this browser"\);[^]*?,\2\.p=\1\}\)\(\);/;
  const workerName = /(\w)\.p\+"index\.worker\.min\.worker\.js"/;
  const require = createRequire(import.meta.url);
  const dir = path.dirname(require.resolve(`${LOADER_DIR}/cornerstoneWADOImageLoader.min.js`));
  return {
    name: 'emage-loader-from-viewer-folder',
    transform(code, id) {
      if (!id.includes('cornerstone-wado-image-loader') || !code.includes('Automatic publicPath')) return null;
      const pp = publicPath.exec(code);
      const wn = workerName.exec(code);
      if (!pp || !wn) this.error('cornerstone-wado-image-loader changed: update loaderFromViewerFolder');
      const patched = code
        .replace(publicPath, `${pp[2]}.p=new URL("./",import.meta.url).href;`)
        .replace(workerName, `$1.p+${JSON.stringify(DECODE_WORKER_FILE)}`);
      return { code: patched, map: null };
    },
    generateBundle() {
      // Source map comments would point at files that are not shipped.
      const script = (file: string) => readFileSync(path.join(dir, file), 'utf8').replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, '\n');
      this.emitFile({ type: 'asset', fileName: DECODE_WORKER_FILE, source: script('index.worker.min.worker.js') });
      for (const file of readdirSync(dir)) {
        if (/^\d+\.min\.worker\.js$/.test(file)) this.emitFile({ type: 'asset', fileName: file, source: script(file) });
        else if (file.endsWith('.wasm')) this.emitFile({ type: 'asset', fileName: file, source: readFileSync(path.join(dir, file)) });
      }
    },
  };
}

/** The loader's worker and codecs, for the build that bundles the loader (vite.engine.config.ts). */
export const loaderPlugin = loaderFromViewerFolder;

// Library build: the host pages import `/viewer/viewer.js` at run time, so the entry name must
// stay stable (no hash). viewer.js holds the viewer without Cornerstone; Cornerstone, its loader,
// codecs and workers are in viewer-engine.js (vite.engine.config.ts) and its tools in
// viewer-tools.js (vite.tools.config.ts), both next to it and imported nowhere else.
export default defineConfig({
  // Relative base so the chunk and the stylesheet resolve next to viewer.js wherever it is served.
  base: './',
  plugins: [],
  resolve: {
    // The packages' "main" files are development builds (cornerstone-tools even carries webpack
    // hot-reload hooks); their minified production builds have the same API.
    alias: {
      'cornerstone-tools': 'cornerstone-tools/dist/cornerstoneTools.min.js',
      'cornerstone-core': 'cornerstone-core/dist/cornerstone.min.js',
      'cornerstone-wado-image-loader': `${LOADER_DIR}/cornerstoneWADOImageLoader.min.js`,
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
    // Vite keeps whitespace in ES library output (for consumers' bundlers); nothing re-bundles
    // viewer.js, so the output is minified whole.
    rolldownOptions: { output: { minify: true } },
    chunkSizeWarningLimit: 4096,
    lib: {
      entry: 'src/index.ts',
      formats: ['es'],
      fileName: () => 'viewer.js',
      cssFileName: 'viewer',
    },
  },
});
