import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardPage } from '../pages/dashboard.page.js';
import { DocumentPage } from '../pages/document.page.js';
import { LoginPage } from '../pages/login.page.js';
import { PatientRecordPage } from '../pages/patient.page.js';
import { newContext, screenshot } from '../support/browser.js';
import { DEMO_PHYSICIAN, openDashboardAsDemoPhysician, startDemoPortal } from '../support/demo.js';
import type { PortalServer } from '../support/server.js';

describe('§5 Dossier patient', () => {
  let portal: PortalServer;
  let browser: Browser;
  beforeAll(async () => {
    ({ portal, browser } = await startDemoPortal());
  });
  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
  });

  it('reads the administrative data, the results, a PDF report, and opens a document in a new tab and in a pop-up', async () => {
    const { ctx, page, dashboard } = await openDashboardAsDemoPhysician(browser, portal);
    await dashboard.search('hélène');
    await expect.poll(() => dashboard.rows().count()).toBe(1);
    await dashboard.openPatient('Hélène Dupont-Moreau');

    // 5.1 Information patient: as each facility sent it, read-only.
    const record = new PatientRecordPage(page);
    await record.title().waitFor();
    expect(await record.title().textContent()).toBe('Hélène Dupont-Moreau');
    await record.showInformation();
    await record.administrativeRecords().first().waitFor();
    const info = await page.getByTestId('information').textContent();
    expect(info).toContain("Ces informations sont récupérées depuis les structures productrices d'imagerie et ne peuvent pas être modifiées depuis le portail".replace("'", '’'));
    expect(info).toContain('Dupont-Moreau');
    expect(info).toMatch(/Reçues le \d{2}\/\d{2}\/\d{4}/);
    expect(await page.locator('[data-testid="information"] input').count()).toBe(0);
    await screenshot(page, '05-information-patient');

    // 5.2 Résultats: only the exams this patient named Dr Martin for.
    await record.showResults();
    const headers = await page.locator('[data-testid="results"] th').allTextContents();
    expect(headers.map((h) => h.trim().toUpperCase())).toEqual(['TYPE', 'TITRE', 'DATE', 'PARTAGE']);
    await record.resultRows().first().waitFor();
    const rows = await record.resultRows().allTextContents();
    expect(rows.some((r) => r.includes('Compte-rendu'))).toBe(true);
    expect(rows.some((r) => r.includes('Imagerie'))).toBe(true);
    expect(rows.join('\n')).not.toContain('SCANNER THORACIQUE');
    expect(rows.every((r) => /\d{1,2}\s\S+\s\d{4}/.test(r))).toBe(true);
    await screenshot(page, '05-resultats');

    // A report shows inline: the frame loads an application/pdf response.
    const reportRow = record.resultRows().filter({ hasText: 'Compte-rendu' }).first();
    const reportTitle = (await reportRow.locator('a').textContent())!.trim();
    const pdfResponse = page.waitForResponse((r) => /\/api\/documents\/[^/]+\/report\.pdf$/.test(r.url()));
    await record.openDocument(reportTitle);
    const doc = new DocumentPage(page);
    await doc.title().waitFor();
    await doc.reportFrame().waitFor();
    const pdf = await pdfResponse;
    expect(pdf.status()).toBe(200);
    expect(pdf.headers()['content-type']).toBe('application/pdf');
    await doc.helpLink().waitFor();
    await screenshot(page, '05-compte-rendu');

    // "Ouvrir dans un nouvel onglet": the same document on its own page.
    const [tab] = await Promise.all([ctx.waitForEvent('page'), doc.newTabLink().click()]);
    const tabDoc = new DocumentPage(tab);
    await tabDoc.title().waitFor();
    expect(await tabDoc.title().textContent()).toBe(reportTitle);
    expect(new URL(tab.url()).pathname).toMatch(/^\/documents\/[0-9a-f-]{36}$/);
    await tabDoc.reportFrame().waitFor();
    await screenshot(tab, '05-nouvel-onglet');
    await tab.close();

    // "Ouvrir dans une pop-up".
    const [popup] = await Promise.all([ctx.waitForEvent('page'), doc.popupButton().click()]);
    const popupDoc = new DocumentPage(popup);
    await popupDoc.title().waitFor();
    expect(await popupDoc.title().textContent()).toBe(reportTitle);
    await screenshot(popup, '05-pop-up');
    await popup.close();

    // Back to the list of documents, on the results.
    await doc.backLink().click();
    await page.getByTestId('results').waitFor();
    await ctx.close();
  });

  it('a deep link to a document works after login', async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    const login = new LoginPage(page, portal.url);
    await login.open();
    await login.login(DEMO_PHYSICIAN.email, DEMO_PHYSICIAN.password);
    await new DashboardPage(page, portal.url).rows().first().waitFor();
    await page.getByRole('link', { name: 'Hélène Dupont-Moreau' }).click();
    const record = new PatientRecordPage(page);
    await record.showResults();
    const href = await record.resultRows().first().locator('a').getAttribute('href');
    const docId = /documents\/([0-9a-f-]{36})/.exec(href ?? '')?.[1];
    expect(docId).toBeTruthy();
    await ctx.close();

    const fresh = await newContext(browser);
    const tab = await fresh.newPage();
    await tab.goto(`${portal.url}/documents/${docId}`);
    const login2 = new LoginPage(tab, portal.url);
    await tab.getByRole('heading', { name: 'Connexion' }).waitFor();
    await login2.login(DEMO_PHYSICIAN.email, DEMO_PHYSICIAN.password);
    await new DocumentPage(tab).title().waitFor();
    expect(new URL(tab.url()).pathname).toBe(`/documents/${docId}`);
    await fresh.close();
  });
});
