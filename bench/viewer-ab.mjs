#!/usr/bin/env node
// node bench/viewer-ab.mjs [runs=20] <clientDirA> <clientDirB> [...] — cold first image of the
// demo CT with two (or more) builds of the clients, interleaved on the same machine.
//
// The virtual machines of this workplace change speed by up to 2× within an hour, more than most
// changes to the viewer's start-up move the figure; runs of `bench:viewer` taken minutes apart
// cannot tell such a change from the machine. Here one portal per build serves the same demo
// data (CLIENT_DIR), and cold loads alternate between them (A B, B A, A B…), so a drift of the
// machine's speed falls on every build alike. Printed: each build's median first image (cold:
// a new browser context per load), the median of the paired differences with the first build,
// when Cornerstone first drew the image (with a preview, it is drawn before: ADR 0085), when the
// page around the image showed the document's title (the shell rendered) and when the whole
// series was loaded.
//
// FROM_RECORD=1 measures the physician's usual path instead: the patient's record on screen, the
// imaging document opened inside the page (bench/viewer.mjs's "from the record"), times from that
// navigation; the page's title is not printed then. RECORD_SETTLED=1: the document is opened once
// the record has settled (every result listed, network and main thread idle), as a physician who
// read it does; by default, as soon as it is listed.
//
// A client dir holds shell/dist, viewer/dist, share/dist and playground/dist, e.g. the `client`
// folder of a git worktree of another commit, built:
//   git worktree add /tmp/emage-base <commit> && (cd /tmp/emage-base && npm ci && npx turbo run build)
//   node bench/viewer-ab.mjs 20 /tmp/emage-base/client client
import path from 'node:path';
import { cpuReferenceMs, ctDocument, launchBrowser, newLoggedInPage, openFromRecord, openOnce, startPortal } from './lib/viewer-portal.mjs';
import { median } from './lib/measure.mjs';

const RUNS = Number(process.argv[2] ?? 20);
/** IDLE_TAB_MS=1000: each new tab idles that long before navigating (bench/viewer.mjs's "cold, idle tab"). */
const IDLE_TAB_MS = Number(process.env.IDLE_TAB_MS ?? 0);
const FROM_RECORD = process.env.FROM_RECORD === '1';
const RECORD_SETTLED = process.env.RECORD_SETTLED === '1';
const dirs = process.argv.slice(3);
if (dirs.length < 2 || !Number.isInteger(RUNS) || RUNS < 1) {
  console.error('usage: node bench/viewer-ab.mjs [runs] <clientDirA> <clientDirB> [...]');
  process.exit(2);
}

const cpuBefore = cpuReferenceMs();
const portals = [];
const browser = await launchBrowser();
try {
  for (const clientDir of dirs) portals.push(await startPortal({ clientDir }));
  const docs = [];
  for (const portal of portals) {
    // One unmeasured load per portal: the server's first-request costs are not counted.
    const { context, page } = await newLoggedInPage(browser, portal.url);
    const doc = await ctDocument(page, portal.url);
    await openOnce(page, portal.url, doc.id);
    await context.close();
    docs.push(doc);
  }
  const firstImage = dirs.map(() => []);
  const pageShown = dirs.map(() => []);
  const cornerstoneImage = dirs.map(() => []);
  const allLoaded = dirs.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    for (let k = 0; k < dirs.length; k++) {
      const b = (k + i) % dirs.length; // rotate who goes first
      let marks;
      if (FROM_RECORD) {
        marks = await openFromRecord(browser, portals[b].url, docs[b], { settled: RECORD_SETTLED });
      } else {
        const { context, page } = await newLoggedInPage(browser, portals[b].url);
        if (IDLE_TAB_MS > 0) await new Promise((resolve) => setTimeout(resolve, IDLE_TAB_MS));
        marks = await openOnce(page, portals[b].url, docs[b].id);
        await context.close();
      }
      firstImage[b].push(marks.firstImage);
      pageShown[b].push(marks.pageShown);
      cornerstoneImage[b].push(marks.cornerstoneImage);
      allLoaded[b].push(marks.allLoaded);
    }
  }
  const what = FROM_RECORD
    ? `first image opened from the patient’s record${RECORD_SETTLED ? ' once it has settled' : ''} (new browser context per load, viewer.js not yet loaded), from the navigation inside the page`
    : `cold first image (new browser context per load${IDLE_TAB_MS ? `, tab idle ${IDLE_TAB_MS} ms before navigating` : ''})`;
  console.log(`Demo CT, ${what}, ${RUNS} interleaved loads per build`);
  console.log(`CPU reference (lower is faster): ${cpuBefore} ms before the runs, ${cpuReferenceMs()} ms after`);
  dirs.forEach((dir, k) => {
    const runs = firstImage[k].map(Math.round);
    const diff = k === 0 ? '' : `; paired difference with ${dirs[0]}: median ${Math.round(median(firstImage[k].map((t, i) => t - firstImage[0][i])))} ms`;
    console.log(`${dir}: median ${Math.round(median(firstImage[k]))} ms (runs ${runs.join(', ')})${diff}; drawn by Cornerstone median ${Math.round(median(cornerstoneImage[k]))} ms; ${FROM_RECORD ? '' : `the page around it (document title) median ${Math.round(median(pageShown[k]))} ms; `}whole series median ${Math.round(median(allLoaded[k]))} ms`);
  });
} finally {
  await browser.close();
  for (const portal of portals) await portal.stop();
}
