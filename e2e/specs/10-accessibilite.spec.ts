import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountPages, linkIn } from '../pages/account.page.js';
import { DocumentPage } from '../pages/document.page.js';
import { LoginPage } from '../pages/login.page.js';
import { NotificationsPage } from '../pages/notifications.page.js';
import { PatientRecordPage } from '../pages/patient.page.js';
import { ShareDialog } from '../pages/share-dialog.page.js';
import { SharePage } from '../pages/share.page.js';
import { SharesPage } from '../pages/shares.page.js';
import { ViewerPage } from '../pages/viewer.page.js';
import { seriousViolations } from '../support/axe.js';
import { newContext, screenshot } from '../support/browser.js';
import { DEMO_PHYSICIAN, openDashboardAsDemoPhysician, startDemoPortal } from '../support/demo.js';
import type { PortalServer } from '../support/server.js';

const ADMIN = { email: 'admin@demo.e-mage.fr', password: 'Demo-e-mage-2026' };
const RECIPIENT = 'confrere.a11y@cabinet.example';
/** The portal's Content-Security-Policy refuses injected scripts, axe-core's included: the scan's browsers ignore it. */
const SCAN = { bypassCSP: true } as const;

/**
 * Issue 19, « Done means »: an accessibility scan of every page, 0 serious or critical violations.
 * Each page is scanned once what it is for is on screen (its heading, its table, its images).
 */
describe('Accessibilité — chaque page du portail passe axe-core sans violation grave', () => {
  let portal: PortalServer;
  let browser: Browser;
  let physician: BrowserContext;
  let page: Page;
  let shareLink: string;

  beforeAll(async () => {
    ({ portal, browser } = await startDemoPortal());
  });
  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
  });

  it('public pages: login, account request, forgot password, password reset', async () => {
    const ctx = await newContext(browser, SCAN);
    const p = await ctx.newPage();
    const login = new LoginPage(p, portal.url);
    await login.open();
    expect(await seriousViolations(p)).toEqual([]);

    await login.requestAccount();
    await p.getByRole('heading', { name: 'Demande de création de compte' }).waitFor();
    expect(await seriousViolations(p)).toEqual([]);

    await login.open();
    await login.forgotPassword();
    const pages = new AccountPages(p);
    await pages.askResetLink(DEMO_PHYSICIAN.email);
    expect(await seriousViolations(p)).toEqual([]);

    const mail = await portal.waitForMail((m) => m.to.includes(DEMO_PHYSICIAN.email) && /réinitialisation/.test(m.subject));
    await p.goto(linkIn(mail.text, 'reinitialiser-mot-de-passe'));
    await p.getByRole('heading', { name: 'Réinitialisation du mot de passe' }).waitFor();
    expect(await seriousViolations(p)).toEqual([]);

    // In English, every word of the page is English, the skip link included (issue 19 finding 8).
    await p.evaluate(() => localStorage.setItem('emage.locale', 'en'));
    await p.goto(`${portal.url}/connexion`);
    await p.getByRole('heading', { name: 'Log in' }).waitFor();
    await p.getByRole('link', { name: 'Skip to content' }).waitFor({ state: 'attached' });
    expect(await p.evaluate(() => document.documentElement.lang)).toBe('en');
    expect(await seriousViolations(p)).toEqual([]);
    await ctx.close();
  });

  it('the dashboard, and the notifications panel open over it', async () => {
    ({ ctx: physician, page } = await openDashboardAsDemoPhysician(browser, portal, { ...SCAN, viewport: { width: 1280, height: 900 } }));
    await page.getByTestId('patient-row').first().waitFor();
    expect(await seriousViolations(page)).toEqual([]);

    const bell = new NotificationsPage(page);
    await bell.open();
    expect(await seriousViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await bell.panel().waitFor({ state: 'detached' });
  });

  it('the record: patient information, results, and the share pop-up', async () => {
    await page.getByRole('link', { name: 'Hélène Dupont-Moreau' }).click();
    const record = new PatientRecordPage(page);
    await record.title().waitFor();
    await record.showInformation();
    await record.administrativeRecords().first().waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await record.showResults();
    await record.resultRows().first().waitFor();
    expect(await seriousViolations(page)).toEqual([]);

    await record.resultRows().first().getByRole('button', { name: /^Partager le document/ }).click();
    const dialog = new ShareDialog(page).dialog();
    await dialog.waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it('the document page of a report, then of images, with the viewer’s keyboard help open', async () => {
    const record = new PatientRecordPage(page);
    const reportTitle = (await record.resultRows().filter({ hasText: 'Compte-rendu' }).first().locator('a').textContent())!.trim();
    await record.openDocument(reportTitle);
    const doc = new DocumentPage(page);
    await doc.title().waitFor();
    await doc.reportFrame().waitFor();
    expect(await seriousViolations(page)).toEqual([]);

    await doc.backLink().click();
    await record.resultRows().first().waitFor();
    const imagingTitle = (await record.resultRows().filter({ hasText: 'Imagerie' }).first().locator('a').textContent())!.trim();
    await record.openDocument(imagingTitle);
    const viewer = page.locator('[data-testid="viewer"][data-state="ready"]');
    await viewer.waitFor({ timeout: 45_000 });
    expect(await seriousViolations(page)).toEqual([]);

    await viewer.locator('[data-action="help"]').click();
    const help = page.getByTestId('viewer-help');
    await help.waitFor();
    await screenshot(page, '10-aide-clavier');
    expect(await seriousViolations(page)).toEqual([]);
  }, 90_000);

  it('the viewer’s keyboard help reads as the keys act, and its presets menu shows its whole label (issue 19 finding 7)', async () => {
    const help = page.getByTestId('viewer-help');
    const line = (keys: string) => help.getByRole('row').filter({ has: page.locator('kbd', { hasText: keys }) }).locator('td');
    expect(await line('N / Maj+N').textContent()).toBe('Série suivante / précédente');
    expect(await line('Page ↑ / Page ↓').textContent()).toBe('Reculer / avancer de 10 images');
    await help.getByRole('button', { name: 'Fermer' }).click();
    await help.waitFor({ state: 'hidden' });

    const viewer = new ViewerPage(page);
    const index = async () => Number(await viewer.attr('image-index'));
    await viewer.press('Home');
    await expect.poll(index).toBe(0);
    await viewer.press('PageDown');
    await expect.poll(index).toBeGreaterThan(0);
    const forward = await index();
    await viewer.press('PageUp');
    await expect.poll(index).toBeLessThan(forward);

    // The closed menu shows its label whole: the select is at least as wide as the label's text,
    // its padding and its arrow.
    const fit = await page.locator('[data-testid="viewer"] select.emv-select').first().evaluate((el: HTMLSelectElement) => {
      const cs = getComputedStyle(el);
      const ctx = document.createElement('canvas').getContext('2d')!;
      ctx.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
      const text = el.options[el.selectedIndex]!.text;
      return { text, needed: ctx.measureText(text).width + parseFloat(cs.paddingLeft) + parseFloat(cs.paddingRight) + 16, width: el.clientWidth };
    });
    expect(fit.text).toBe('Préréglages de fenêtrage');
    expect(fit.width).toBeGreaterThanOrEqual(fit.needed);
  });

  it('« Mes partages » and the share page the recipient opens', async () => {
    const docId = /documents\/([0-9a-f-]{36})/.exec(page.url())?.[1];
    expect(docId).toBeTruthy();
    const res = await page.request.post(`${portal.url}/graphql`, {
      data: {
        query: 'mutation($d: ID!, $e: String!, $c: String) { shareDocument(documentId: $d, email: $e, comment: $c) { id } }',
        variables: { d: docId, e: RECIPIENT, c: 'Votre avis sur ces images, merci.' },
      },
    });
    expect(((await res.json()) as { errors?: unknown }).errors).toBeUndefined();
    const mine = new SharesPage(page, portal.url);
    await mine.open();
    await mine.row(RECIPIENT).waitFor();
    expect(await seriousViolations(page)).toEqual([]);

    const mail = await portal.waitForMail((m) => m.to.includes(RECIPIENT));
    shareLink = /https?:\/\/\S+\/s\/[A-Za-z0-9_-]+/.exec(mail.text)![0];
    const ctx = await newContext(browser, SCAN);
    const view = new SharePage(await ctx.newPage());
    await view.open(shareLink);
    await view.examTitle().waitFor();
    await view.waitForImages();
    expect(await seriousViolations(view.page)).toEqual([]);
    await ctx.close();
  }, 90_000);

  it('on a phone (390 × 844): dashboard, record results and « Mes partages »', async () => {
    const { ctx, page: p } = await openDashboardAsDemoPhysician(browser, portal, { ...SCAN, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await p.getByTestId('patient-row').first().waitFor();
    expect(await seriousViolations(p)).toEqual([]);
    await p.getByRole('link', { name: 'Hélène Dupont-Moreau' }).click();
    const record = new PatientRecordPage(p);
    await record.showResults();
    await record.resultRows().first().waitFor();
    expect(await seriousViolations(p)).toEqual([]);
    const mine = new SharesPage(p, portal.url);
    await mine.open();
    await mine.row(RECIPIENT).waitFor();
    expect(await seriousViolations(p)).toEqual([]);
    await ctx.close();
  }, 60_000);

  it('reading mode (ADR 0130–0132): the pop-up’s page with a measurement, and a phone’s viewer with « Plus d’outils » open', async () => {
    const { ctx, page: p } = await openDashboardAsDemoPhysician(browser, portal, { ...SCAN, viewport: { width: 1100, height: 850 } });
    await p.getByRole('link', { name: 'Hélène Dupont-Moreau' }).click();
    const record = new PatientRecordPage(p);
    await record.showResults();
    const href = (await record.resultRows().filter({ hasText: 'Imagerie' }).first().locator('a').getAttribute('href'))!;
    const docId = /documents\/([^/?#]+)/.exec(href)![1]!;
    await p.goto(`${portal.url}/documents/${docId}`);
    const viewer = new ViewerPage(p);
    await viewer.waitForState('ready');
    await p.locator('[data-testid="viewer"][data-tools="ready"]').waitFor();
    await new DocumentPage(p).readingBar().getByTestId('banner-ipp').waitFor();
    await viewer.press('m');
    await viewer.drag(120, 40);
    await p.getByTestId('measurements').waitFor();
    expect(await seriousViolations(p)).toEqual([]);
    await p.setViewportSize({ width: 390, height: 844 });
    await p.goto(`${portal.url}${href}`);
    await viewer.waitForState('ready');
    await viewer.toolbarButton('Plus d’outils').click();
    await p.getByTestId('more-tools').waitFor();
    expect(await seriousViolations(p)).toEqual([]);
    await ctx.close();
  }, 60_000);

  it('the administration pages', async () => {
    await physician.close();
    const ctx = await newContext(browser, { ...SCAN, viewport: { width: 1280, height: 900 } });
    const p = await ctx.newPage();
    const login = new LoginPage(p, portal.url);
    await login.open();
    await login.login(ADMIN.email, ADMIN.password);
    await p.waitForURL((u) => u.pathname !== '/connexion');
    const pages: Array<[string, string]> = [
      ['/admin/demandes', 'Demandes de création de compte'],
      ['/admin/comptes', 'Comptes'],
      ['/admin/structures', 'Structures'],
      ['/admin/journal', 'Journal d’audit'],
    ];
    for (const [path, heading] of pages) {
      await p.goto(`${portal.url}${path}`);
      await p.getByRole('heading', { name: heading, level: 1 }).waitFor();
      await p.getByRole('status').filter({ hasText: 'Chargement' }).waitFor({ state: 'detached' });
      expect({ path, violations: await seriousViolations(p) }).toEqual({ path, violations: [] });
    }
    await ctx.close();
  }, 90_000);
});
