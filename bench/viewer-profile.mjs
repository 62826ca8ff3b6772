#!/usr/bin/env node
// node bench/viewer-profile.mjs [loads=3] [clientDir] — where a cold load of the demo CT's
// document page spends CPU before its first image, to decide what to cut (docs/adr/0083).
//
//   threads    one traced load per run: the time every browser thread spent in its top-level
//              tasks between the page's request and the first image (the renderer's main
//              thread, the decode workers, the browser process, the compositor…), mean per load;
//   main JS    the renderer's V8 sampling profile over the same span (console.profile started by
//              an init script at page start, ended by the first image), self time by package or
//              source file and by function, mapped through the bundles' source maps (and the
//              Cornerstone libraries' own maps), mean per load. "(program)" is V8/Blink work
//              outside JavaScript (compiling, style, layout).
//
// UNTIL=series profiles each load up to the whole series loaded instead (the main-thread JS of the
// background loading too; no thread trace then).
//
// `clientDir` serves another build of the clients (CLIENT_DIR, as bench/viewer-ab.mjs), e.g. a
// worktree of an earlier commit; its source maps are read from there.
import fs from 'node:fs/promises';
import path from 'node:path';
import { TraceMap, originalPositionFor } from '@jridgewell/trace-mapping';
import { cpuReferenceMs, ctDocument, launchBrowser, newLoggedInPage, startPortal, tracedColdLoad } from './lib/viewer-portal.mjs';

const LOADS = Number(process.argv[2] ?? 3);
const SERIES = process.env.UNTIL === 'series';
const END_MARK = SERIES ? 'allLoaded' : 'firstImage';
const clientDir = path.resolve(process.argv[3] ?? 'client');
const nodeModules = path.resolve('node_modules');

const maps = new Map();
async function sourceMap(file) {
  if (!maps.has(file)) maps.set(file, await fs.readFile(file, 'utf8').then((t) => new TraceMap(JSON.parse(t)), () => null));
  return maps.get(file);
}

/** Package (or source file of ours) and function of a profile frame, through the source maps. */
async function origin(frame) {
  const url = frame.url.replace(/^https?:\/\/[^/]+/, '');
  const file = url.startsWith('/assets/') ? path.join(clientDir, 'shell', 'dist', url) : url.startsWith('/viewer/') ? path.join(clientDir, 'viewer', 'dist', url.slice('/viewer/'.length)) : null;
  const map = file && frame.lineNumber >= 0 ? await sourceMap(`${file}.map`) : null;
  if (!map) return { where: url || `(${frame.functionName || 'native'})`, fn: frame.functionName };
  let pos = originalPositionFor(map, { line: frame.lineNumber + 1, column: frame.columnNumber });
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(pos.source ?? '')?.[1];
  // Cornerstone ships minified bundles with their own maps: one more step to their sources.
  if (pkg && /\.min\.js$/.test(pos.source ?? '')) {
    const lib = await sourceMap(path.join(nodeModules, pos.source.replace(/^.*node_modules\//, '')) + '.map');
    const inner = lib ? originalPositionFor(lib, { line: pos.line, column: pos.column }) : null;
    if (inner?.source) pos = { ...inner, source: `${pkg}/${inner.source.replace(/^webpack:\/\/[^/]*\//, '')}` };
  }
  const source = (pos.source ?? '?').replace(/^.*node_modules\//, '').replace(/^(\.\.\/)+/, '');
  return { where: pkg ?? source, fn: `${source}:${pos.line} ${pos.name ?? frame.functionName}` };
}

const add = (map, key, ms) => map.set(key, (map.get(key) ?? 0) + ms);
const top = (map, n) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${v.toFixed(1).padStart(7)} ms  ${k}`).join('\n');

const cpuBefore = cpuReferenceMs();
const portal = await startPortal({ clientDir });
const browser = await launchBrowser();
try {
  const probe = await newLoggedInPage(browser, portal.url);
  const doc = await ctDocument(probe.page, portal.url);
  await probe.page.goto(`${portal.url}/documents/${doc.id}`);
  await probe.page.waitForFunction(() => window.__viewerMarks?.allLoaded !== undefined, undefined, { timeout: 60_000 });
  await probe.context.close();

  const threads = new Map();
  const byWhere = new Map();
  const byFn = new Map();
  const firstImages = [];
  for (let i = 0; i < LOADS; i++) {
    // Traced load: CPU of every thread.
    if (!SERIES) for (const task of (await tracedColdLoad(browser, portal.url, doc.id)).tasks) add(threads, task.thread, task.ms / LOADS);
    // Profiled load: main-thread JavaScript.
    {
      const { context, page } = await newLoggedInPage(browser, portal.url);
      await page.addInitScript((mark) => {
        console.profile('load');
        new MutationObserver((_, observer) => {
          if (window.__viewerMarks?.[mark] === undefined) return;
          console.profileEnd('load');
          observer.disconnect();
        }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-rendered-count', 'data-preview', 'aria-valuenow'] });
      }, END_MARK);
      const cdp = await context.newCDPSession(page);
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
      const finished = new Promise((resolve) => cdp.on('Profiler.consoleProfileFinished', (e) => resolve(e.profile)));
      await page.goto(`${portal.url}/documents/${doc.id}`);
      const profile = await finished;
      firstImages.push(Math.round(await page.evaluate((mark) => window.__viewerMarks[mark], END_MARK)));
      const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
      for (let k = 0; k < profile.samples.length; k++) {
        const ms = profile.timeDeltas[k] / 1000 / LOADS;
        const { where, fn } = await origin(nodes.get(profile.samples[k]).callFrame);
        add(byWhere, where, ms);
        add(byFn, fn, ms);
      }
      await context.close();
    }
  }
  console.log(`Cold load of the demo CT's document page, ${SERIES ? '' : `${LOADS} traced + `}${LOADS} profiled loads up to the ${SERIES ? 'whole series loaded' : 'first image'}, client ${clientDir}`);
  console.log(`CPU reference (lower is faster): ${cpuBefore} ms before, ${cpuReferenceMs()} ms after; ${SERIES ? 'whole series' : 'first image'} of the profiled loads: ${firstImages.join(', ')} ms`);
  if (!SERIES) console.log(`\nBusy time per thread before the first image (mean per load):\n${top(threads, 12)}`);
  console.log(`\nMain-thread self time by package / source (mean per load):\n${top(byWhere, 30)}`);
  console.log(`\nMain-thread self time by function (mean per load):\n${top(byFn, 30)}`);
} finally {
  await browser.close();
  await portal.stop();
}
