#!/usr/bin/env node
/**
 * autocannon in a process of its own, so that a server running inside the bench's process
 * (bench/lib/in-process-server.mjs) can have its CPU time measured apart from the load's:
 *   node bench/lib/load-child.mjs '<autocannon options as JSON>'
 * Prints one JSON line: requests/s (average), totals, errors, and the latency (ms) of every 200.
 */
import autocannon from 'autocannon';

const options = JSON.parse(process.argv[2]);
const latencies = [];
const instance = autocannon(options);
instance.on('response', (_client, status, _bytes, responseTime) => {
  if (status === 200) latencies.push(responseTime);
});
const r = await instance;
process.stdout.write(`${JSON.stringify({ rps: r.requests.average, total: r.requests.total, errors: r.errors + r.timeouts, non2xx: r.non2xx, latencies })}\n`);
