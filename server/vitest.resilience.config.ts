import { defineConfig } from 'vitest/config';

// The resilience suite drives the BUILT server (dist/) as child processes and talks to it over
// the network only, so no SWC transform of the server's sources is needed here. Files run one
// at a time: each injects faults (terminated backends, stalled relays, kill -9) whose timing a
// neighbour's load would blur on a two-core machine.
export default defineConfig({
  test: {
    include: ['resilience/**/*.spec.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
