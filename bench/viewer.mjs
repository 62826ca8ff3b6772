#!/usr/bin/env node
// npm run bench:viewer — the image viewer in headless Chromium on loopback, against the built
// portal with its demo data (build first: npx turbo run build).
//
//   first image   navigation start of the imaging document page (/documents/:id, a full page
//                 load: performance.now() is 0 there) → the first image drawn on the viewer: its
//                 preview (`data-preview="shown"`, ADR 0085) or Cornerstone's first render
//                 (`data-rendered-count` ≥ 1), read with performance.now() in the page; also
//                 printed, Cornerstone's first render alone (from then on the tools answer);
//   whole series  same start → every series thumbnail's progress bar complete
//                 (aria-valuenow = aria-valuemax);
//   page around   same start → the document page's title in the page (the shell rendered);
//   heap          10 mount/destroy cycles of the viewer on one page (each waits for the whole
//                 series), JS heap after CDP HeapProfiler.collectGarbage + Runtime.getHeapUsage,
//                 after cycle 10 vs after cycle 1 (HEAP_CYCLES=N for more cycles, to tell a
//                 leak, which grows with every cycle, from warm-up, which levels off).
//
// Document: the demo CT thorax (64 slices of 512×512, 16-bit). "cold": a new browser context
// each run (empty HTTP cache: the shell and viewer.js are downloaded), its tab created just
// before the navigation, so the browser is still starting that tab's renderer meanwhile (on two
// cores, that work competes with the page's); "cold, idle tab": the same, the tab left idle
// 1 s before the navigation, as when a physician pastes the document's address into a tab
// already open; "warm": the same context navigating again (viewer.js from the HTTP cache, as for
// a physician's second study).
//   comparison    two CT thorax exams (64 × 512×512 each) of one patient published for the bench's
//                 physician (lib/viewer-comparison.mjs): « Comparer » on the prior → its first
//                 image beside the current one; layout changes (click → every viewport drawn and
//                 painted); 64 slices scrolled in sync in 1×2 vs alone in 1×1.
// Usage: node bench/viewer.mjs [runs=5]; ONLY=heap [HEAP_CYCLES=40] for the heap cycles alone,
// ONLY=comparison for the comparison figures alone.
import { cpuReferenceMs, ctDocument, launchBrowser, newLoggedInPage, openFromRecord, openOnce, startPortal, tracedColdLoad } from './lib/viewer-portal.mjs';
import { median } from './lib/measure.mjs';
import { comparisonFigures, publishComparisonStudies, reportComparison } from './lib/viewer-comparison.mjs';

const RUNS = Number(process.argv[2] ?? 5);
const CYCLES = Number(process.env.HEAP_CYCLES ?? 10);
const HEAP_ONLY = process.env.ONLY === 'heap';
const COMPARISON_ONLY = process.env.ONLY === 'comparison';

/**
 * Where the time of a load went: every request up to the first image (the shell's own files,
 * its queries, the viewer bundle, the study metadata, the first frames), start→end in ms since
 * navigation start, with the URL shortened.
 */
async function waterfall(page) {
  return page.evaluate(() => {
    const firstImage = window.__viewerMarks?.firstImage ?? Infinity;
    return performance
      .getEntriesByType('resource')
      .filter((e) => e.startTime < firstImage)
      .map((e) => {
        const name = e.name.replace(/^https?:\/\/[^/]+/, '').replace(/\/studies\/[^/]+\/series\/[^/]+\/instances\/[^/]+/, '/…').replace(/\/studies\/[0-9.]+/, '/studies/…');
        return `${name} ${Math.round(e.startTime)}→${Math.round(e.responseEnd)}`;
      });
  });
}

/**
 * RUNS cold loads (a new context each), the tab idle `idleMs` before navigating; with the
 * request waterfall of the last one.
 */
async function coldLoads(browser, url, docId, idleMs) {
  const runs = [];
  let steps = [];
  for (let i = 0; i < RUNS; i++) {
    const { context, page } = await newLoggedInPage(browser, url);
    if (idleMs > 0) await new Promise((resolve) => setTimeout(resolve, idleMs));
    runs.push(await openOnce(page, url, docId));
    if (i === RUNS - 1) steps = await waterfall(page);
    await context.close();
  }
  return { runs, steps };
}

/**
 * Where a cold load's time goes on the renderer's main thread: one more cold load under a
 * Chromium trace; the busy time is the sum of the page renderer's main-thread tasks up to the
 * first image, the longest of them listed.
 */
async function coldMainThread(browser, url, docId) {
  const { firstImage, tasks } = await tracedColdLoad(browser, url, docId);
  // The page's renderer: the main thread that ran the most tasks.
  const byThread = new Map();
  for (const t of tasks) if (t.thread === 'CrRendererMain') byThread.set(t.key, [...(byThread.get(t.key) ?? []), t]);
  const main = [...byThread.values()].sort((a, b) => b.length - a.length)[0] ?? [];
  const busy = main.reduce((n, t) => n + t.ms, 0);
  const longest = [...main].sort((a, b) => b.ms - a.ms).slice(0, 5).map((t) => `${Math.round(t.start)} ms +${Math.round(t.ms)}`);
  return { firstImage, busy, longest };
}

const ms = (x) => `${Math.round(x)} ms`;

async function heapCycles(browser, url, studyUid) {
  const { context, page } = await newLoggedInPage(browser, url);
  await page.goto(`${url}/`);
  await page.locator('#contenu').waitFor();
  const cdp = await context.newCDPSession(page);
  const heap = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    await cdp.send('HeapProfiler.collectGarbage');
    return (await cdp.send('Runtime.getHeapUsage')).usedSize;
  };
  const before = await heap();
  const after = [];
  for (let i = 0; i < CYCLES; i++) {
    // A string, mounted exactly as a host page mounts the viewer.
    await page.evaluate(`(async () => {
      const m = await import('/viewer/viewer.js');
      const host = document.createElement('div');
      host.id = 'bench-host';
      host.style.height = '700px';
      document.body.prepend(host);
      window.__benchViewer = m.mount(host, { dicomwebRoot: '/dicomweb', studyUid: ${JSON.stringify(studyUid)}, locale: 'fr' });
    })()`);
    await page.waitForFunction(() => {
      const bars = [...document.querySelectorAll('#bench-host .emv-thumb [role="progressbar"]')];
      return bars.length > 0 && bars.every((b) => b.getAttribute('aria-valuenow') === b.getAttribute('aria-valuemax'));
    }, undefined, { timeout: 60_000 });
    await page.evaluate(`(() => { window.__benchViewer.destroy(); window.__benchViewer = undefined; document.getElementById('bench-host').remove(); })()`);
    after.push(await heap());
  }
  await context.close();
  return { before, after };
}

const cpuBefore = cpuReferenceMs();
const portal = await startPortal();
const browser = await launchBrowser();
try {
  const probe = await newLoggedInPage(browser, portal.url);
  const doc = await ctDocument(probe.page, portal.url);
  if (HEAP_ONLY || COMPARISON_ONLY) await probe.context.close();
  else {
    // One unmeasured load, so the server's first-request costs (JIT, connection pool) are not counted.
    await openOnce(probe.page, portal.url, doc.id);

    const { runs: cold, steps: coldSteps } = await coldLoads(browser, portal.url, doc.id, 0);
    const { runs: coldIdle, steps: coldIdleSteps } = await coldLoads(browser, portal.url, doc.id, 1000);
    const warm = [];
    for (let i = 0; i < RUNS; i++) warm.push(await openOnce(probe.page, portal.url, doc.id));
    const warmSteps = await waterfall(probe.page);
    await probe.context.close();
    const inApp = [];
    for (let i = 0; i < RUNS; i++) inApp.push(await openFromRecord(browser, portal.url, doc));
    const traced = await coldMainThread(browser, portal.url, doc.id);

    const report = (label, runs) =>
      console.log(
        `${label}: first image median ${ms(median(runs.map((r) => r.firstImage)))} (runs ${runs.map((r) => ms(r.firstImage)).join(', ')}); ` +
          `drawn by Cornerstone (tools work) median ${ms(median(runs.map((r) => r.cornerstoneImage)))}; ` +
          `whole series median ${ms(median(runs.map((r) => r.allLoaded)))} (runs ${runs.map((r) => ms(r.allLoaded)).join(', ')})` +
          (runs[0].pageShown === undefined ? '' : `; the page around it (document title) median ${ms(median(runs.map((r) => r.pageShown)))}`),
      );
    console.log(`Demo CT thorax, 64 × 512×512 16-bit, ${RUNS} runs each, Chromium headless on loopback`);
    console.log(`CPU reference (lib/viewer-portal.mjs cpuReferenceMs, lower is faster): ${cpuBefore} ms before the runs, ${cpuReferenceMs()} ms after`);
    report('cold (new context, empty cache)', cold);
    report('cold, idle tab (the same, the tab idle 1 s before navigating)', coldIdle);
    report('warm (same context, viewer.js cached)', warm);
    report('from the record (shell loaded, viewer.js not yet)', inApp);
    console.log(`last cold load, ms since navigation start: ${coldSteps.join('; ')}; first image at ${ms(cold[cold.length - 1].firstImage)}`);
    console.log(`last cold load in an idle tab: ${coldIdleSteps.join('; ')}; first image at ${ms(coldIdle[coldIdle.length - 1].firstImage)}`);
    console.log(
      `one more cold load, traced: first image at ${ms(traced.firstImage)}; renderer main thread busy ${ms(traced.busy)} before it ` +
        `(${Math.round((100 * traced.busy) / traced.firstImage)} %); longest tasks (start +duration): ${traced.longest.join(', ')}`,
    );
    console.log(`last warm load, ms since navigation start: ${warmSteps.join('; ')}; first image at ${ms(warm[warm.length - 1].firstImage)}`);
  }

  if (!HEAP_ONLY) {
    const studies = await publishComparisonStudies(browser, portal.url);
    const cpu = cpuReferenceMs();
    const { context, page } = await newLoggedInPage(browser, portal.url);
    const figures = await comparisonFigures(page, portal.url, studies, RUNS);
    await context.close();
    console.log(`CPU reference around the comparison runs: ${cpu} ms before, ${cpuReferenceMs()} ms after`);
    reportComparison(figures, ms);
  }
  if (COMPARISON_ONLY) process.exitCode = 0;
  else {
  const { before, after } = await heapCycles(browser, portal.url, doc.studyInstanceUid);
  const first = after[0];
  const last = after[after.length - 1];
  const mb = (b) => `${(b / 1024 / 1024).toFixed(1)} MB`;
  console.log(
    `heap: before ${mb(before)}, after cycle 1 ${mb(first)}, after cycle ${CYCLES} ${mb(last)} (${(((last - first) / first) * 100).toFixed(1)} % vs cycle 1); ` +
      `per cycle: ${after.map(mb).join(', ')}`,
  );
  }
} finally {
  await browser.close();
  await portal.stop();
}
