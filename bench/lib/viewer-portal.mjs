/** What the viewer benches share: the built portal with its demo data, and a signed-in page. */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { freePort } from './measure.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PHYSICIAN = { email: 'thomas.schmitt@demo.e-mage.fr', password: 'Demo-e-mage-2026' };
export const CT_TITLE = 'SCANNER THORACIQUE';

/**
 * The built portal on embedded defaults, in a data directory of its own, with the demo exams
 * published. `clientDir` (CLIENT_DIR) serves another build of the clients (a folder holding
 * shell/dist, viewer/dist, share/dist and playground/dist), for comparisons.
 */
export async function startPortal({ clientDir } = {}) {
  const port = await freePort();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'emage-bench-viewer-'));
  const env = { ...process.env, NODE_ENV: 'test', PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: `http://127.0.0.1:${port}`, DATA_DIR: dataDir, LOG_LEVEL: 'warn', SEED_DEMO: 'true' };
  if (clientDir) env.CLIENT_DIR = path.resolve(clientDir);
  delete env.DATABASE_URL;
  delete env.SMTP_URL;
  const child = spawn(process.execPath, [path.join(root, 'server', 'dist', 'main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const deadline = Date.now() + 180_000;
  while (!/Demo exams published/.test(out)) {
    if (child.exitCode !== null || /could not be published/.test(out) || Date.now() > deadline) throw new Error(`portal not ready:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export async function graphql(page, url, query) {
  const res = await page.request.post(`${url}/graphql`, { data: { query } });
  const body = await res.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/**
 * A new browser context (empty cache) signed in as a demo physician, whose pages record in
 * `window.__viewerMarks`, on their own clock (0 = navigation start), when the viewer first
 * reports a drawn image (`firstImage`: its preview drawn before Cornerstone, `data-preview`, or
 * Cornerstone's first render, whichever comes first; with `firstImageOnScreen`: whether it was
 * visible in the window then), when Cornerstone first drew it (`cornerstoneImage`: from then on
 * the tools work on it), when the page around it shows the document's title (`pageShown`) and
 * when every series' progress bar is full (`allLoaded`).
 */
export async function newLoggedInPage(browser, url) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'fr-FR' });
  const page = await context.newPage();
  await graphql(page, url, `mutation { login(email: "${PHYSICIAN.email}", password: "${PHYSICIAN.password}") { id } }`);
  await page.addInitScript(() => {
    const marks = {};
    window.__viewerMarks = marks;
    new MutationObserver(() => {
      if (marks.pageShown === undefined && document.querySelector('[data-testid="document-title"]')) marks.pageShown = performance.now();
      const root = document.querySelector('[data-testid="viewer"]');
      if (!root) return;
      const rendered = Number(root.getAttribute('data-rendered-count')) >= 1;
      if (marks.cornerstoneImage === undefined && rendered) marks.cornerstoneImage = performance.now();
      if (marks.firstImage === undefined && (rendered || root.getAttribute('data-preview') === 'shown')) {
        marks.firstImage = performance.now();
        // Counted only if the image is on screen then: the viewer visible, its canvas in the window.
        const canvas = root.querySelector('[data-testid="viewport"] canvas');
        const r = canvas?.getBoundingClientRect();
        marks.firstImageOnScreen = !!r && root.checkVisibility({ opacityProperty: true, visibilityProperty: true }) && r.width > 0 && r.height > 0 && r.top < innerHeight && r.bottom > 0;
      }
      const bars = [...root.querySelectorAll('.emv-thumb [role="progressbar"]')];
      if (marks.allLoaded === undefined && bars.length > 0 && bars.every((b) => b.getAttribute('aria-valuenow') === b.getAttribute('aria-valuemax'))) {
        marks.allLoaded = performance.now();
      }
    }).observe(document, { subtree: true, attributes: true, childList: true, attributeFilter: ['data-rendered-count', 'data-preview', 'aria-valuenow'] });
  });
  return { context, page };
}

/** The demo CT's imaging document (64 slices), and its patient. */
export async function ctDocument(page, url) {
  const data = await graphql(page, url, '{ patients(first: 100) { edges { node { id exams { title documents { id type studyInstanceUid } } } } } }');
  for (const edge of data.patients.edges) {
    for (const exam of edge.node.exams) {
      const doc = exam.documents.find((d) => d.type === 'IMAGING');
      if (exam.title === CT_TITLE && doc) return { ...doc, patientId: edge.node.id };
    }
  }
  throw new Error('demo CT document not found');
}

/** Opens the document page (a full page load) and waits until the whole series is loaded. */
export async function openOnce(page, url, docId) {
  await page.goto(`${url}/documents/${docId}`);
  await page.waitForFunction(() => window.__viewerMarks?.allLoaded !== undefined, undefined, { timeout: 60_000 });
  const marks = await page.evaluate(() => window.__viewerMarks);
  if (!marks.firstImageOnScreen) throw new Error('the first image was drawn hidden or outside the window');
  const count = await page.locator('[data-testid="viewer"]').getAttribute('data-image-count');
  if (count !== '64') throw new Error(`expected 64 slices, the viewer shows ${count}`);
  return marks;
}

/**
 * The physician's usual path: the patient's record is on screen (shell loaded, the viewer bundle
 * not yet), and they open the imaging document in it, a navigation inside the page. Measured
 * from that navigation: as soon as the document is listed, or with `settled` once the record is
 * settled (every result listed, the network and the main thread idle), as a physician who read it
 * opens a document.
 */
export async function openFromRecord(browser, url, doc, { settled = false } = {}) {
  const { context, page } = await newLoggedInPage(browser, url);
  try {
    await page.goto(`${url}/patients/${doc.patientId}?vue=resultats`);
    await page.locator(`a[href*="/documents/${doc.id}"]`).first().waitFor();
    if (settled) {
      // As a physician finds it after reading: every result listed, nothing left on the wire
      // (no request for 500 ms), and the page's main thread idle.
      await page.getByTestId('result-row').last().waitFor();
      await page.waitForLoadState('networkidle');
      await page.evaluate(() => new Promise((resolve) => requestIdleCallback(() => resolve(undefined))));
    }
    const start = await page.evaluate((path) => {
      const t = performance.now();
      document.querySelector('#app').__vue_app__.config.globalProperties.$router.push(path);
      return t;
    }, `/patients/${doc.patientId}/documents/${doc.id}`);
    await page.waitForFunction(() => window.__viewerMarks?.allLoaded !== undefined, undefined, { timeout: 60_000 });
    const marks = await page.evaluate(() => window.__viewerMarks);
    return { firstImage: marks.firstImage - start, cornerstoneImage: marks.cornerstoneImage - start, allLoaded: marks.allLoaded - start };
  } finally {
    await context.close();
  }
}

/**
 * A CPU reference: milliseconds a fixed JavaScript loop takes in this Node.js. The machines of
 * this workplace are virtual and their speed varies (this loop took from 567 to 1,145 ms on one
 * machine in one morning), so each viewer bench prints it with its figures.
 */
export function cpuReferenceMs() {
  const start = performance.now();
  let x = 0;
  for (let i = 0; i < 3e8; i++) x += i % 7;
  if (x < 0) throw new Error('unreachable');
  return Math.round(performance.now() - start);
}

const TOP_LEVEL_TASKS = new Set(['ThreadControllerImpl::RunTask', 'RunTask', 'ThreadPool_RunTask']);

/**
 * One cold load (new context) of the document page under a Chromium trace: the top-level tasks of
 * every browser thread between the page's request (the trace's clock is not the page's) and the
 * first image — each with its thread (`key` pid:tid, `thread` its name), its start in ms since
 * that request and its duration in ms. A task nested in another of the same thread is not counted
 * twice.
 */
export async function tracedColdLoad(browser, url, docId) {
  const { context, page } = await newLoggedInPage(browser, url);
  const file = path.join(os.tmpdir(), `emage-viewer-trace-${process.pid}.json`);
  try {
    await browser.startTracing(page, { path: file, categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
    await page.goto(`${url}/documents/${docId}`);
    await page.waitForFunction(() => window.__viewerMarks?.firstImage !== undefined, undefined, { timeout: 60_000 });
    await browser.stopTracing();
    const firstImage = await page.evaluate(() => window.__viewerMarks.firstImage);
    const events = JSON.parse(await fs.readFile(file, 'utf8')).traceEvents;
    const names = new Map(events.filter((e) => e.name === 'thread_name').map((e) => [`${e.pid}:${e.tid}`, e.args.name]));
    const request = events.find((e) => e.name === 'ResourceSendRequest' && String(e.args?.data?.url).includes(`/documents/${docId}`));
    if (!request) throw new Error('page request not found in the trace');
    const tasks = [];
    const threadEnd = new Map();
    const candidates = events
      .filter((e) => e.ph === 'X' && TOP_LEVEL_TASKS.has(e.name) && e.ts >= request.ts && (e.ts - request.ts) / 1000 < firstImage)
      .sort((a, b) => a.ts - b.ts || b.dur - a.dur);
    for (const e of candidates) {
      const key = `${e.pid}:${e.tid}`;
      if (e.ts < (threadEnd.get(key) ?? -Infinity)) continue;
      threadEnd.set(key, e.ts + e.dur);
      tasks.push({ key, thread: names.get(key) ?? 'unnamed', start: (e.ts - request.ts) / 1000, ms: e.dur / 1000 });
    }
    return { firstImage, tasks };
  } finally {
    await context.close();
    await fs.rm(file, { force: true });
  }
}
