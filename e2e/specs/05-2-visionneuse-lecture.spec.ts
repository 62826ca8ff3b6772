import type { Browser, BrowserContext, Page } from 'playwright-core';
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
async function demoCt(page: Page, baseUrl: string): Promise<Imaging> {
  const res = await page.request.post(`${baseUrl}/graphql`, {
    data: { query: '{ patients(first: 100) { edges { node { id exams { title documents { id type } } } } } }' },
  });
  const body = (await res.json()) as { data: { patients: { edges: Array<{ node: { id: string; exams: Array<{ title: string; documents: Array<{ id: string; type: string }> }> } }> } } };
  for (const { node } of body.data.patients.edges) {
    const exam = node.exams.find((x) => x.title === 'SCANNER THORACIQUE');
    const doc = exam?.documents.find((d) => d.type === 'IMAGING');
    if (doc) return { id: doc.id, patientId: node.id };
  }
  throw new Error('no demo CT');
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

/**
 * Issue 19, finding 4: the pop-up and the new tab showed the whole portal around a boxed viewer.
 * Reading mode (ADR 0130): the viewer edge to edge under the patient banner, a « Fermer » control,
 * nothing else of the portal.
 */
describe('§5.2 Visionneuse — mode lecture (pop-up, nouvel onglet)', () => {
  let portal: PortalServer;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  let ct: Imaging;

  beforeAll(async () => {
    ({ portal, browser } = await startDemoPortal());
    ({ ctx, page } = await signedIn(browser, portal, { viewport: { width: 1280, height: 900 } }));
    ct = await demoCt(page, portal.url);
  });

  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
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
    await Promise.all([popup.waitForEvent('close'), new DocumentPage(popup).closeButton().click()]);
    expect(popup.isClosed()).toBe(true);
  });

  it('the new tab is the same reading mode, and « Fermer » closes it', async () => {
    const [tab] = await Promise.all([ctx.waitForEvent('page'), new DocumentPage(page).newTabLink().click()]);
    await expectReadingMode(tab);
    await Promise.all([tab.waitForEvent('close'), new DocumentPage(tab).closeButton().click()]);
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
