import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// Interoperability with third-party implementations we run on this machine: Orthanc (a real
// PACS, Debian's orthanc + orthanc-dicomweb), the dicomweb-client library, and pydicom/GDCM as
// the reference decoder. Same database set-up as the main suite (test/global-setup.ts).
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: { alias: { graphql: 'graphql/index.js' } },
  test: {
    include: ['interop/**/*.spec.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
