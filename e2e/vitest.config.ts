import { defineConfig } from 'vitest/config';

// One real server and one real Chromium per spec file; files run one after the other on this
// 2-core machine so timings stay representative.
export default defineConfig({
  test: {
    include: ['specs/**/*.spec.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
