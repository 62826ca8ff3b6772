import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardPage } from '../pages/dashboard.page.js';
import { DocumentPage } from '../pages/document.page.js';
import { LoginPage } from '../pages/login.page.js';
import { PatientRecordPage } from '../pages/patient.page.js';
import { ViewerPage } from '../pages/viewer.page.js';
import { startDemoPortal } from '../support/demo.js';
import { newContext, screenshot } from '../support/browser.js';
import type { PortalServer } from '../support/server.js';

interface Imaging {
  id: string;
  patientId: string;
}

/** Prescriber of the demo CT thorax (64 slices). */
const SCHMITT = { email: 'thomas.schmitt@demo.e-mage.fr', password: 'Demo-e-mage-2026' };

/** A signed-in page of a new context (`options`: its viewport, touch). */
async function signedIn(browser: Browser, portal: PortalServer, options: Parameters<Browser['newContext']>[0]): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await newContext(browser, options);
  const page = await ctx.newPage();
  const login = new LoginPage(page, portal.url);
  await login.open();
  await login.login(SCHMITT.email, SCHMITT.password);
  await new DashboardPage(page, portal.url).heading().waitFor();
  return { ctx, page };
}

/** The demo CT thorax. */
async function demoCt(page: Page, baseUrl: string, title = 'SCANNER THORACIQUE'): Promise<Imaging> {
  const res = await page.request.post(`${baseUrl}/graphql`, {
    data: { query: '{ patients(first: 100) { edges { node { id exams { title documents { id type } } } } } }' },
  });
  const body = (await res.json()) as { data: { patients: { edges: Array<{ node: { id: string; exams: Array<{ title: string; documents: Array<{ id: string; type: string }> }> } }> } } };
  for (const { node } of body.data.patients.edges) {
    const exam = node.exams.find((x) => x.title === title);
    const doc = exam?.documents.find((d) => d.type === 'IMAGING');
    if (doc) return { id: doc.id, patientId: node.id };
  }
  throw new Error(`no demo exam ${title}`);
}

/** Where the viewer, the reading bar and the window are, in CSS pixels. */
function geometry(page: Page) {
  return page.evaluate(() => {
    const box = (sel: string) => {
      const r = document.querySelector(sel)?.getBoundingClientRect();
      return r ? { top: Math.round(r.top), left: Math.round(r.left), width: Math.round(r.width), height: Math.round(r.height), bottom: Math.round(r.bottom), right: Math.round(r.right) } : null;
    };
    return {
      window: { width: window.innerWidth, height: window.innerHeight },
      viewer: box('[data-testid="viewer"]'),
      bar: box('[data-testid="reading-bar"]'),
      banner: box('[data-testid="patient-banner"]'),
      toolbar: box('[data-testid="viewer"] [role="toolbar"]'),
      scrollHeight: document.documentElement.scrollHeight,
    };
  });
}

let portal: PortalServer;
let browser: Browser;

beforeAll(async () => {
  ({ portal, browser } = await startDemoPortal());
});

afterAll(async () => {
  await browser?.close();
  await portal?.stop();
});

/** The image number the overlay shows, « Im 32/64 ». */
async function imageOverlay(page: Page): Promise<string> {
  return (await page.locator('.emv-ov-bl').innerText()).split('\n').find((l) => /^Im /.test(l)) ?? '';
}

/**
 * Issue 19, finding 4: the pop-up and the new tab showed the whole portal around a boxed viewer.
 * Reading mode (ADR 0130): the viewer edge to edge under the patient banner, a « Fermer » control,
 * nothing else of the portal.
 */

/**
 * Clicks a control whose effect is to close its own page: the page may close before Playwright's
 * click returns ("Target page, context or browser has been closed"), which is then the expected
 * outcome, not a failure; any other error, or the same one on a page still open, is.
 */
async function clickThatCloses(page: Page, control: Locator): Promise<void> {
  await control.click().catch((error: unknown) => {
    if (!page.isClosed()) throw error;
  });
}

describe('§5.2 Visionneuse — mode lecture (pop-up, nouvel onglet)', () => {
  let ctx: BrowserContext;
  let page: Page;
  let ct: Imaging;

  beforeAll(async () => {
    ({ ctx, page } = await signedIn(browser, portal, { viewport: { width: 1280, height: 900 } }));
    ct = await demoCt(page, portal.url);
  });

  afterAll(async () => {
    await ctx?.close();
  });

  /** The reading-mode page `p` shows the viewer edge to edge under the banner, and nothing of the portal. */
  async function expectReadingMode(p: Page): Promise<void> {
    const viewer = new ViewerPage(p);
    await viewer.waitForState('ready');
    const doc = new DocumentPage(p);
    await doc.readingBar().getByTestId('banner-ipp').waitFor();
    // No portal header (brand, menu, bell, sign out), no footer, none of the document's links.
    expect(await p.locator('.app-header, .support-footer').count()).toBe(0);
    expect(await p.getByRole('link', { name: 'Ouvrir dans un nouvel onglet' }).count()).toBe(0);
    expect(await p.getByRole('button', { name: 'Ouvrir dans une pop-up' }).count()).toBe(0);
    expect(await p.getByTestId('back-to-documents').count()).toBe(0);
    expect(await doc.closeButton().isVisible()).toBe(true);
    const g = await geometry(p);
    // The banner on top, the viewer right under it, to the window's edges; the page does not scroll.
    expect(g.bar!.top).toBe(0);
    expect(g.banner!.bottom).toBeLessThanOrEqual(g.bar!.bottom);
    expect(g.viewer).toMatchObject({ top: g.bar!.bottom, left: 0, width: g.window.width, bottom: g.window.height });
    expect(g.scrollHeight).toBe(g.window.height);
  }

  it('the pop-up shows the viewer edge to edge under the patient banner, and « Fermer » closes it', async () => {
    await page.goto(`${portal.url}/patients/${ct.patientId}/documents/${ct.id}`);
    await new ViewerPage(page).waitForState('ready');
    // The record's document page keeps the portal around it on a wide screen.
    expect(await page.locator('.app-header').count()).toBe(1);
    const [popup] = await Promise.all([ctx.waitForEvent('page'), new DocumentPage(page).popupButton().click()]);
    await expectReadingMode(popup);
    await screenshot(popup, '05-2-lecture-pop-up');
    await Promise.all([popup.waitForEvent('close'), clickThatCloses(popup, new DocumentPage(popup).closeButton())]);
    expect(popup.isClosed()).toBe(true);
  });

  it('the new tab is the same reading mode, and « Fermer » closes it', async () => {
    const [tab] = await Promise.all([ctx.waitForEvent('page'), new DocumentPage(page).newTabLink().click()]);
    await expectReadingMode(tab);
    await Promise.all([tab.waitForEvent('close'), clickThatCloses(tab, new DocumentPage(tab).closeButton())]);
  });

  it('a reading-mode page the browser will not let a script close goes back to the patient’s results', async () => {
    const tab = await ctx.newPage();
    await tab.goto(`${portal.url}/documents/${ct.id}`);
    await expectReadingMode(tab);
    // As a tab the user opened and browsed in: window.close() does nothing there.
    await tab.evaluate(() => (window.close = () => undefined));
    await new DocumentPage(tab).closeButton().click();
    await new PatientRecordPage(tab).title().waitFor();
    expect(new URL(tab.url()).pathname).toBe(`/patients/${ct.patientId}`);
    expect(await tab.locator('.app-header').count()).toBe(1);
    expect(await tab.locator('[data-testid="viewer"]').count()).toBe(0);
    await tab.close();
  });
});

/**
 * Issue 19, finding 5: on a 390 × 844 phone the viewer started ~505 px down, 401 px tall, its
 * toolbar cut off. Now the record's imaging document is in reading mode there too: the viewer from
 * under a compact banner to the bottom, a compact toolbar, and touch gestures (ADR 0131).
 */
describe('§5.2 Visionneuse — sur un téléphone', () => {
  let ctx: BrowserContext;
  let page: Page;
  let ct: Imaging;

  beforeAll(async () => {
    ({ ctx, page } = await signedIn(browser, portal, { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true }));
    ct = await demoCt(page, portal.url);
  });

  afterAll(async () => {
    await ctx?.close();
  });

  it('the record’s images fill the screen under a compact banner, the essential tools on screen, the rest in « Plus d’outils »', async () => {
    await page.goto(`${portal.url}/patients/${ct.patientId}?vue=resultats`);
    await page.locator(`a[href$="/documents/${ct.id}"]`).first().click();
    const viewer = new ViewerPage(page);
    await viewer.waitForState('ready');
    await new DocumentPage(page).readingBar().getByTestId('banner-ipp').waitFor();
    const g = await geometry(page);
    expect(await page.locator('.app-header, .support-footer').count()).toBe(0);
    // Starts right under the banner (no more than its height down), fills the rest of the screen.
    expect(g.viewer!.top).toBeLessThanOrEqual(g.bar!.bottom);
    expect(g.banner!.bottom).toBeLessThanOrEqual(g.viewer!.top);
    expect(g.viewer!.height).toBeGreaterThanOrEqual(0.8 * 844);
    expect(g.viewer).toMatchObject({ left: 0, width: 390, bottom: 844 });
    // The toolbar whole on screen: every control shown lies inside the window, where a tap reaches it.
    expect(g.toolbar!.left).toBeGreaterThanOrEqual(0);
    expect(g.toolbar!.right).toBeLessThanOrEqual(390);
    const outside = () =>
      page.evaluate(() =>
        Array.from(document.querySelectorAll<HTMLElement>('[data-testid="viewer"] [role="toolbar"] :is(button, select, input)'))
          .filter((el) => el.getClientRects().length > 0)
          .filter((el) => {
            const r = el.getBoundingClientRect();
            if (r.left < 0 || r.right > window.innerWidth || r.top < 0 || r.bottom > window.innerHeight) return true;
            // On screen and on top: a tap at its centre reaches it (not clipped, not covered).
            const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
            return !hit || !(el === hit || el.contains(hit) || el.closest('label')?.contains(hit));
          })
          .map((el) => el.getAttribute('aria-label') ?? el.textContent),
      );
    expect(await outside()).toEqual([]);
    for (const name of ['Défiler', 'Fenêtrage', 'Zoom', 'Déplacer', 'Mesure de longueur', 'Plus d’outils']) {
      expect(await viewer.toolbarButton(name).isVisible(), name).toBe(true);
    }
    // One finger scrolls the slices by default on a touch screen.
    expect(await viewer.toolbarButton('Défiler').getAttribute('aria-pressed')).toBe('true');
    // The rest is one tap away, on screen too.
    expect(await viewer.toolbarButton('Inverser').isVisible()).toBe(false);
    await viewer.toolbarButton('Plus d’outils').tap();
    await page.getByTestId('more-tools').waitFor();
    expect(await viewer.toolbarButton('Plus d’outils').getAttribute('aria-expanded')).toBe('true');
    for (const name of ['Inverser', 'ROI elliptique', 'Aide', 'Disposition 1\u00a0×\u00a02\u00a0: deux images côte à côte']) {
      expect(await viewer.toolbarButton(name).isVisible(), name).toBe(true);
    }
    expect(await outside()).toEqual([]);
    await screenshot(page, '05-2-lecture-telephone-outils');
    const rendered = await viewer.renderedCount();
    await viewer.toolbarButton('Inverser').tap();
    await viewer.waitForRenderAfter(rendered);
    expect(await page.getByTestId('more-tools').isVisible()).toBe(false);
    await screenshot(page, '05-2-lecture-telephone');
  });

  it('touch: one finger scrolls the slices, a double tap resets the view, a pinch zooms', async () => {
    const viewer = new ViewerPage(page);
    await page.locator('[data-testid="viewer"][data-tools="ready"]').waitFor();
    const box = (await viewer.viewport.boundingBox())!;
    const cdp = await ctx.newCDPSession(page);
    const x = Math.round(box.x + box.width / 2);
    const y = Math.round(box.y + box.height / 3);
    const before = await imageOverlay(page);
    expect(before).toBe('Im 32/64');
    // A swipe down of 160 px: 8 px per image (gestures.ts), so 20 images on.
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x, y }] });
    for (let i = 1; i <= 8; i++) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x, y: y + i * 20 }] });
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    await expect.poll(() => imageOverlay(page)).toBe('Im 52/64');
    // Zoomed in (the keyboard's +), then a double tap: the view as it opened.
    const zoom = await viewer.zoomOverlay();
    await viewer.press('+');
    await expect.poll(() => viewer.zoomOverlay()).not.toBe(zoom);
    for (let tap = 0; tap < 2; tap++) {
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x, y }] });
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    }
    await expect.poll(() => viewer.zoomOverlay()).toBe(zoom);
    expect(await imageOverlay(page)).toBe('Im 52/64');
    // Two fingers spreading apart: a pinch zooms in, and does not scroll the slices.
    const spread = (d: number) => [
      { x: x - d, y, id: 0 },
      { x: x + d, y, id: 1 },
    ];
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: spread(20) });
    for (let i = 1; i <= 10; i++) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: spread(20 + i * 8) });
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    await expect.poll(() => viewer.zoomOverlay()).not.toBe(zoom);
    expect(await imageOverlay(page)).toBe('Im 52/64');
  });

  it('« Fermer » goes back to the patient’s results, with the portal around them', async () => {
    await new DocumentPage(page).closeButton().tap();
    await new PatientRecordPage(page).title().waitFor();
    expect(await page.locator('.app-header').count()).toBe(1);
  });
});

/**
 * Issue 19, tools: angle, elliptical and rectangular ROI with area, mean and SD (HU for CT),
 * probe, calibrated from PixelSpacing, « Mesures non calibrées » when an image has none (ADR 0132).
 */
describe('§5.2 Visionneuse — mesures', () => {
  let ctx: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    ({ ctx, page } = await signedIn(browser, portal, { viewport: { width: 1280, height: 900 } }));
  });

  afterAll(async () => {
    await ctx?.close();
  });

  /** A left-button drag from (x0, y0) to (x1, y1), in fractions of the viewport. */
  async function dragOn(viewer: ViewerPage, from: [number, number], to: [number, number]): Promise<void> {
    const box = (await viewer.viewport.boundingBox())!;
    const at = ([fx, fy]: [number, number]) => [box.x + fx * box.width, box.y + fy * box.height] as const;
    await page.mouse.move(...at(from));
    await page.mouse.down();
    for (let i = 1; i <= 6; i++) await page.mouse.move(at(from)[0] + ((at(to)[0] - at(from)[0]) * i) / 6, at(from)[1] + ((at(to)[1] - at(from)[1]) * i) / 6);
    await page.mouse.up();
  }

  it('an elliptical ROI on the CT gives its area in mm² and its mean and SD in HU, in French', async () => {
    const ct = await demoCt(page, portal.url);
    await page.goto(`${portal.url}/documents/${ct.id}`);
    const viewer = new ViewerPage(page);
    await viewer.waitForState('ready');
    await page.locator('[data-testid="viewer"][data-tools="ready"]').waitFor();
    // Calibrated: no warning over the CT.
    expect(await page.getByTestId('calibration-notice').isVisible()).toBe(false);
    const ellipse = viewer.toolbarButton('ROI elliptique');
    expect(await ellipse.getAttribute('title')).toBe('ROI elliptique (C)');
    await ellipse.click();
    expect(await ellipse.getAttribute('aria-pressed')).toBe('true');
    await dragOn(viewer, [0.45, 0.45], [0.55, 0.55]);
    const list = page.getByTestId('measurements');
    await list.waitFor();
    const line = (await list.locator('li').first().innerText()).trim();
    // « ROI elliptique : aire 123,45 mm², moyenne 40,12 UH, écart-type 3,21 UH »: decimal commas, no-break spaces.
    expect(line).toMatch(/^ROI elliptique\u00a0: aire \d[\d\u202f]*,\d{2}\u00a0mm², moyenne -?\d[\d\u202f]*,\d{2}\u00a0UH, écart-type \d[\d\u202f]*,\d{2}\u00a0UH$/);
    await viewer.screenshotCanvas('05-2-mesure-roi-elliptique');

    // The rectangle and the probe, chosen with the keyboard (Q, P).
    await viewer.press('q');
    expect(await viewer.toolbarButton('ROI rectangulaire').getAttribute('aria-pressed')).toBe('true');
    await dragOn(viewer, [0.3, 0.3], [0.4, 0.38]);
    await expect.poll(() => list.locator('li').count()).toBe(2);
    expect(await list.locator('li').nth(1).innerText()).toMatch(/^ROI rectangulaire\u00a0: aire \d[\d\u202f]*,\d{2}\u00a0mm², moyenne -?\d[\d\u202f]*,\d{2}\u00a0UH/);
    await viewer.press('p');
    await dragOn(viewer, [0.5, 0.2], [0.5, 0.2]);
    await expect.poll(() => list.locator('li').count()).toBe(3);
    expect(await list.locator('li').nth(2).innerText()).toMatch(/^Sonde \(\d+,\u00a0\d+\)\u00a0: -?\d[\d\u202f]*,\d{2}\u00a0UH$/);
  });

  it('an image without pixel spacing (the demo ultrasound) shows « Mesures non calibrées », and its lengths are in pixels', async () => {
    const us = await demoCt(page, portal.url, 'ECHOGRAPHIE CERVICALE');
    await page.goto(`${portal.url}/documents/${us.id}`);
    const viewer = new ViewerPage(page);
    await viewer.waitForState('ready');
    await page.locator('[data-testid="viewer"][data-tools="ready"]').waitFor();
    const notice = page.getByTestId('calibration-notice');
    await notice.waitFor();
    expect(await notice.innerText()).toBe('Mesures non calibrées\u00a0: longueurs et aires en pixels');
    await viewer.press('m');
    await dragOn(viewer, [0.3, 0.5], [0.6, 0.5]);
    const list = page.getByTestId('measurements');
    await list.waitFor();
    expect(await list.locator('li').first().innerText()).toMatch(/^Longueur\u00a0: \d[\d\u202f]*,\d{2}\u00a0px$/);
  });
});
