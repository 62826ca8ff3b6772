import { fileURLToPath, URL } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig, type Plugin } from 'vite';

const BOOT_ENTRY = fileURLToPath(new URL('./src/boot.ts', import.meta.url));

/**
 * The boot script (src/boot.ts) is an entry of its own, loaded by a script tag placed first: a
 * few kilobytes that send the page's first requests before the shell's code is even compiled.
 * (Listed in index.html, Vite would bundle it into the shell's entry.) The shell's entry is
 * downloaded at once (a module preload, marked data-emage-shell) but run by the boot script, which
 * holds it back while it shows an imaging document's first image (docs/adr/0084-boot-viewer.md).
 */
function bootScript(): Plugin {
  return {
    name: 'emage-boot-script',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        const chunks = Object.values(ctx.bundle ?? {});
        const boot = chunks.find((c) => c.type === 'chunk' && c.isEntry && c.facadeModuleId === BOOT_ENTRY);
        if (!boot) throw new Error('boot entry missing from the bundle');
        const shellTag = /<script type="module" crossorigin src="(\/assets\/index-[\w-]+\.js)"><\/script>/g;
        const tags = [...html.matchAll(shellTag)];
        if (tags.length !== 1) throw new Error(`expected one shell entry script in index.html, found ${tags.length}`);
        return {
          html: html.replace(shellTag, (_tag, src: string) => `<link rel="modulepreload" crossorigin href="${src}" data-emage-shell>`),
          tags: [{ tag: 'script', attrs: { type: 'module', async: true, crossorigin: true, src: `/${boot.fileName}` }, injectTo: 'head-prepend' }],
        };
      },
    },
  };
}

export default defineConfig({
  plugins: [vue(), bootScript()],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  // The libraries' production builds: the shell uses neither Vue's Options API nor vue-i18n's
  // legacy API, global $t or devtools, and Apollo's development-only checks and messages are
  // dropped. Less code for every page load to compile and run.
  define: {
    'globalThis.__DEV__': 'false',
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    __VUE_I18N_LEGACY_API__: 'false',
    __VUE_I18N_FULL_INSTALL__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
  },
  build: {
    outDir: 'dist',
    sourcemap: true,
    chunkSizeWarningLimit: 900,
    rolldownOptions: { input: { index: fileURLToPath(new URL('./index.html', import.meta.url)), boot: BOOT_ENTRY } },
  },
  server: { proxy: { '/graphql': { target: 'http://localhost:4000', ws: true }, '/dicomweb': 'http://localhost:4000', '/api': 'http://localhost:4000', '/viewer': 'http://localhost:4000' } },
});
