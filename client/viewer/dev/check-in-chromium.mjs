// DEV HARNESS ONLY: drives the harness page in headless Chromium and writes screenshots for a
// human to look at. The product's browser tests live in e2e/ and run against the real server.
//
//   node client/viewer/dev/harness-server.mjs &    then
//   node client/viewer/dev/check-in-chromium.mjs [outDir]    (default /tmp/viewer-shots)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

// playwright-core is a dependency of the e2e workspace, hoisted to the repository root.
const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

const base = process.env.HARNESS_URL ?? 'http://localhost:5174';
const out = process.argv[2] ?? '/tmp/viewer-shots';
fs.mkdirSync(out, { recursive: true });

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--headless'],
});
const log = (...a) => console.log(...a);

async function openViewer(page, query) {
  await page.goto(`${base}/?${query}`);
  await page.waitForSelector('[data-testid="viewer"][data-state="ready"], [data-testid="viewer"][data-state="error"]', { timeout: 20000 });
}
const attr = (page, name) => page.getAttribute('[data-testid="viewer"]', name);
async function waitRendered(page, after) {
  await page.waitForFunction(
    (n) => Number(document.querySelector('[data-testid="viewer"]')?.getAttribute('data-rendered-count')) > n,
    after,
    { timeout: 15000 },
  );
}
async function shotViewport(page, name) {
  await page.locator('[data-testid="viewport"]').screenshot({ path: path.join(out, `${name}.png`) });
}
async function shot(page, name) {
  await page.screenshot({ path: path.join(out, `${name}.png`) });
}
/** A cheap fingerprint of the canvas pixels, to prove that an action changed the image. */
async function canvasHash(page) {
  return page.evaluate(() => {
    const c = document.querySelector('[data-testid="viewport"] canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let h = 0, lit = 0;
    for (let i = 0; i < d.length; i += 4) { h = (h * 31 + d[i] + d[i + 1] * 7 + d[i + 2] * 13) >>> 0; if (d[i] + d[i + 1] + d[i + 2] > 30) lit++; }
    return { h, lit, total: d.length / 4 };
  });
}

const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
const consoleErrors = [];
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
page.on('pageerror', (e) => consoleErrors.push(String(e)));

await openViewer(page, 'study=harness&debug');
await waitRendered(page, 0);
log('state', await attr(page, 'data-state'), 'series', await attr(page, 'data-series-uid'), 'index', await attr(page, 'data-image-index'), '/', await attr(page, 'data-image-count'), 'wl', await attr(page, 'data-wl'));
await shot(page, '01-initial');
const h0 = await canvasHash(page);

// Window/level by left drag.
const vp = await page.locator('[data-testid="viewport"]').boundingBox();
await page.mouse.move(vp.x + vp.width / 2, vp.y + vp.height / 2);
await page.mouse.down();
await page.mouse.move(vp.x + vp.width / 2 + 80, vp.y + vp.height / 2 + 60, { steps: 8 });
await page.mouse.up();
const h1 = await canvasHash(page);
log('W/L after drag', await attr(page, 'data-wl'), 'pixels changed:', h0.h !== h1.h);
await shotViewport(page, '02-after-wl-drag');

// Scroll with the wheel and the keyboard.
const idx0 = await attr(page, 'data-image-index');
let rc = Number(await attr(page, 'data-rendered-count'));
await page.mouse.wheel(0, 120);
await waitRendered(page, rc);
const h2 = await canvasHash(page);
log('wheel: index', idx0, '->', await attr(page, 'data-image-index'), 'pixels changed:', h1.h !== h2.h);
await page.keyboard.press('End');
await page.waitForFunction(() => document.querySelector('[data-testid="viewer"]').getAttribute('data-image-index') === '19');
await shotViewport(page, '03-last-slice');

// Progress bars: wait until the first series is fully prefetched.
await page.waitForFunction(() => {
  const p = document.querySelector('.emv-thumb .emv-progress');
  return p && p.getAttribute('aria-valuenow') === p.getAttribute('aria-valuemax');
}, null, { timeout: 20000 });
log('series 1 prefetch complete');

// Cine.
await page.keyboard.press('Home');
rc = Number(await attr(page, 'data-rendered-count'));
await page.keyboard.press(' ');
await page.waitForTimeout(1200);
await page.keyboard.press(' ');
log('cine advanced to index', await attr(page, 'data-image-index'), 'renders during cine', Number(await attr(page, 'data-rendered-count')) - rc);

// Overlays off/on and the help overlay.
await page.keyboard.press('?');
await shot(page, '04-help');
await page.keyboard.press('Escape');

// Every series, one screenshot each.
const thumbs = page.locator('.emv-thumb');
const n = await thumbs.count();
log('series offered:', n);
for (let i = 1; i < n; i++) {
  const t = thumbs.nth(i);
  const uid = await t.getAttribute('data-series-uid');
  const label = await t.getAttribute('aria-label');
  rc = Number(await attr(page, 'data-rendered-count'));
  await t.click();
  await page.waitForFunction(
    ({ uid, rc }) => {
      const v = document.querySelector('[data-testid="viewer"]');
      return v.getAttribute('data-series-uid') === uid && (Number(v.getAttribute('data-rendered-count')) > rc || v.hasAttribute('data-frame-error'));
    },
    { uid, rc },
    { timeout: 15000 },
  ).catch(() => log('  TIMEOUT', label));
  const h = await canvasHash(page);
  log(`  ${i + 1}. ${label} -> wl ${await attr(page, 'data-wl')} lit ${(100 * h.lit / h.total).toFixed(1)}% frame-error=${await attr(page, 'data-frame-error')}`);
  await shotViewport(page, `10-series-${String(i + 1).padStart(2, '0')}`);
}
await shot(page, '05-all-series-visited');

// CT presets on the CT series.
await thumbs.nth(2).click();
await page.waitForFunction(() => document.querySelector('[data-testid="viewer"]').getAttribute('data-series-uid') === '2.25.9003');
await page.waitForTimeout(300);
await page.selectOption('select[aria-label="Préréglages de fenêtrage"]', 'lung');
await page.waitForFunction(() => document.querySelector('[data-testid="viewer"]').getAttribute('data-wl') === '1500/-600', null, { timeout: 3000 }).catch(() => undefined);
log('CT lung preset wl', await attr(page, 'data-wl'));
await shotViewport(page, '06-ct-lung');
await page.keyboard.press('Digit3');
await page.waitForTimeout(100);
log('CT key 3 (bone) wl', await attr(page, 'data-wl'));

// Broken frames series: go through all frames.
const brokenIdx = n - 1;
await thumbs.nth(brokenIdx).click();
await page.locator('[data-testid="viewport"]').focus();
for (let k = 0; k < 6; k++) { await page.keyboard.press('ArrowDown'); await page.waitForTimeout(150); }
await page.keyboard.press('Home');
await page.keyboard.press('ArrowDown');
await page.waitForTimeout(300);
log('broken series frame-error', await attr(page, 'data-frame-error'), 'index', await attr(page, 'data-image-index'));
await shot(page, '07-frame-error');

// Length measurement: draw one and check the tool rendered it (pixels change).
await thumbs.nth(0).click();
await page.waitForFunction(() => document.querySelector('[data-testid="viewer"]').getAttribute('data-series-uid') === '2.25.9001');
await page.waitForTimeout(300);
await page.keyboard.press('m');
const hm0 = await canvasHash(page);
await page.mouse.move(vp.x + 300, vp.y + 200);
await page.mouse.down();
await page.mouse.move(vp.x + 600, vp.y + 400, { steps: 10 });
await page.mouse.up();
await page.waitForTimeout(200);
log('length measurement drawn:', (await canvasHash(page)).h !== hm0.h);
await shotViewport(page, '12-length');
await page.keyboard.press('o');
log('overlays after o:', await attr(page, 'data-overlays'));
await page.keyboard.press('o');

// Error pages.
for (const study of ['expired', 'denied', 'missing', 'pdf-only']) {
  const p = await browser.newPage({ viewport: { width: 800, height: 500 } });
  await openViewer(p, `study=${study}`);
  log(`study=${study}: state ${await attr(p, 'data-state')} code ${await attr(p, 'data-error-code')} text "${await p.locator('.emv-message p').textContent()}" canvas=${await p.locator('[data-testid="viewport"] canvas').count()} errors=${JSON.stringify(await p.evaluate(() => window.__errors))}`);
  await shot(p, `08-error-${study}`);
  await p.close();
}

// Phone layout.
const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
await openViewer(phone, 'study=harness&locale=fr');
await waitRendered(phone, 0);
await shot(phone, '09-phone');
await phone.close();

// English.
const en = await browser.newPage({ viewport: { width: 1000, height: 600 } });
await openViewer(en, 'study=harness&locale=en');
await waitRendered(en, 0);
await shot(en, '11-english');
await en.close();

// Mount → destroy → mount, 10 cycles: workers, cache, DOM and heap must not grow.
const cdp = await page.context().newCDPSession(page);
async function measure() {
  await cdp.send('HeapProfiler.collectGarbage');
  await page.waitForTimeout(200);
  await cdp.send('HeapProfiler.collectGarbage');
  return page.evaluate(() => ({
    heapMB: +(performance.memory.usedJSHeapSize / 1048576).toFixed(1),
    nodes: document.getElementsByTagName('*').length,
    links: document.querySelectorAll('link[rel=stylesheet]').length,
    cache: window.__emageViewer?.cache(),
    workers: window.__emageViewer?.workers().numWebWorkers,
  }));
}
const before = await measure();
for (let i = 0; i < 10; i++) {
  await page.evaluate(() => window.__remount());
  // locator.waitFor keeps no element handle alive (waitForSelector's would pin the old DOM).
  await page.locator('[data-testid="viewer"][data-state="ready"]').waitFor();
  await page.waitForTimeout(i % 3 === 0 ? 50 : 600); // destroy sometimes mid-prefetch
}
await page.waitForTimeout(2500);
const after = await measure();
log('10 cycles before', JSON.stringify(before));
log('10 cycles after ', JSON.stringify(after));

log('console errors:', consoleErrors.length ? consoleErrors.slice(0, 15) : 'none');
await browser.close();
