#!/usr/bin/env node
/**
 * node bench/cpuprofile-summary.mjs FILE.cpuprofile [top] — self time of a V8 CPU profile
 * (node --cpu-prof, e.g. BENCH_CPU_PROF=dir npm run bench:me) summed by module (an npm package,
 * or our own file under server/) and by function, the largest first, as Markdown tables. When
 * the profile's directory holds windows.json (bench:me writes the load's [from, to] intervals on
 * the monotonic clock, µs), only the samples inside them count: start-up and seeding do not.
 */
import fs from 'node:fs';
import path from 'node:path';

const [file, topArg] = process.argv.slice(2);
const top = Number(topArg ?? 25);
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = profile.timeDeltas;
const windowsFile = path.join(path.dirname(file), 'windows.json');
const windows = fs.existsSync(windowsFile) ? JSON.parse(fs.readFileSync(windowsFile, 'utf8')) : [[-Infinity, Infinity]];
let at = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  at += dt[i] ?? 0;
  if (!windows.some(([from, to]) => at >= from && at <= to)) continue;
  self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0));
}

function moduleOf(url) {
  if (!url) return '(native/V8)';
  if (url.startsWith('node:')) return url;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const m = /\/(server\/(?:dist|src)\/.*|\.data\/[^/]+\/.*|bench\/.*)$/.exec(url);
  return m ? m[1] : url;
}

const modules = new Map();
const functions = new Map();
let total = 0;
for (const [id, us] of self) {
  const n = byId.get(id);
  const cf = n.callFrame;
  const mod = moduleOf(cf.url);
  const fn = `${cf.functionName || '(anonymous)'} ${mod}:${cf.lineNumber + 1}`;
  modules.set(mod, (modules.get(mod) ?? 0) + us);
  functions.set(fn, (functions.get(fn) ?? 0) + us);
  total += us;
}
const idle = [...functions].filter(([k]) => k.startsWith('(idle)') || k.startsWith('(program)')).reduce((a, [, v]) => a + v, 0);
const busy = total - idle;
const table = (title, map) => {
  console.log(`\n| ${title} | self ms | % of busy |\n|---|---|---|`);
  for (const [k, v] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    if (k.startsWith('(idle)')) continue;
    console.log(`| ${k} | ${(v / 1000).toFixed(0)} | ${((100 * v) / busy).toFixed(1)} |`);
  }
};
console.log(`profile ${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (not idle, not "(program)")`);
table('module', modules);
table('function', functions);
