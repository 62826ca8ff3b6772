import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { defineConfig, type Plugin } from 'vite';

/** Name of the decode worker next to viewer.js; the server gives this one file its own CSP. */
export const DECODE_WORKER_FILE = 'decode-worker.js';

/**
 * The wado-image-loader bundle is a webpack build that (a) finds its "public path" from
 * document.currentScript or the page's last <script src> — wrong or absent for an ES module
 * loaded by a host page — and (b) starts its decode worker from an inlined copy of the worker's
 * source through a blob: URL. A blob: worker inherits the page's Content-Security-Policy, and the
 * worker's wasm codecs (embind) build functions with `new Function`, which the portal's CSP
 * forbids. So the worker is shipped as a file next to viewer.js, started from its URL, and served
 * with a CSP of its own (docs/adr/0081-viewer-decode-worker-csp.md); the inlined copy (1.2 MB) is
 * dropped. The build fails if the loader's code changes, rather than shipping a viewer whose
 * codecs silently fail.
 */
function loaderWorkerFromFile(): Plugin {
  const publicPath = String.raw`(()=>{var A;g.g.importScripts&&(A=g.g.location+"");var I=g.g.document;if(!A&&I&&(I.currentScript&&(A=I.currentScript.src),!A)){var B=I.getElementsByTagName("script");B.length&&(A=B[B.length-1].src)}if(!A)throw new Error("Automatic publicPath is not supported in this browser");A=A.replace(/#.*$/,"").replace(/\?.*$/,"").replace(/\/[^\/]+$/,"/"),g.p=A})();`;
  const inlineCallEnd = `',"Worker",void 0,g.p+"index.worker.bundle.min.worker.js")`;
  const require = createRequire(import.meta.url);
  return {
    name: 'emage-loader-worker-from-file',
    transform(code, id) {
      if (!id.includes('cornerstone-wado-image-loader') || !code.includes('Automatic publicPath')) return null;
      const end = code.indexOf(inlineCallEnd);
      const call = code.lastIndexOf("()('", end);
      const ret = code.lastIndexOf('return ', call);
      if (!code.includes(publicPath) || end < 0 || call < 0 || ret < 0 || !/^return \w+$/.test(code.slice(ret, call)) || end - call < 1_000_000) {
        this.error('cornerstone-wado-image-loader changed: update loaderWorkerFromFile');
      }
      const patched =
        code.slice(0, ret) + `return new Worker(g.p+${JSON.stringify(DECODE_WORKER_FILE)})` + code.slice(end + inlineCallEnd.length);
      return { code: patched.replace(publicPath, 'g.p=new URL("./",import.meta.url).href;'), map: null };
    },
    generateBundle() {
      const worker = require.resolve('cornerstone-wado-image-loader/dist/index.worker.bundle.min.worker.js');
      // The worker's source map comment would point at a file that is not shipped.
      const source = readFileSync(worker, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
      this.emitFile({ type: 'asset', fileName: DECODE_WORKER_FILE, source });
    },
  };
}

// Library build: the host pages import `/viewer/viewer.js` at run time, so the entry name must
// stay stable (no hash) and every dependency (Cornerstone, codecs, workers) is bundled here and
// nowhere else.
export default defineConfig({
  // Relative base so the chunk and the stylesheet resolve next to viewer.js wherever it is served.
  base: './',
  plugins: [loaderWorkerFromFile()],
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
    chunkSizeWarningLimit: 4096,
    lib: {
      entry: 'src/index.ts',
      formats: ['es'],
      fileName: () => 'viewer.js',
      cssFileName: 'viewer',
    },
  },
});
