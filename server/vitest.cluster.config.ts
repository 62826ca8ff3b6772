import { defineConfig } from 'vitest/config';

// The cluster suite (issue 21): HAProxy and replicas of the BUILT server (dist/) as child
// processes, talked to over the network only, so no SWC transform of the server's sources.
// One file at a time: a kill -9 or a rolling restart must not share two cores with another.
export default defineConfig({
  test: {
    include: ['cluster/**/*.spec.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
