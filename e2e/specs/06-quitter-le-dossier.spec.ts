import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardPage } from '../pages/dashboard.page.js';
import { LoginPage } from '../pages/login.page.js';
import { PatientRecordPage } from '../pages/patient.page.js';
import { launchBrowser, newContext, screenshot } from '../support/browser.js';
import { DEMO_PHYSICIAN, waitForDemoExams } from '../support/demo.js';
import { startPortal, type PortalServer } from '../support/server.js';

describe('§6 Quitter le dossier patient', () => {
  let portal: PortalServer;
  let browser: Browser;
  beforeAll(async () => {
    [portal, browser] = await Promise.all([startPortal(), launchBrowser()]);
    await waitForDemoExams(portal);
  });
  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
  });

  it('the cross next to the patient’s name returns to the dashboard with the filter kept', async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    const login = new LoginPage(page, portal.url);
    await login.open();
    await login.login(DEMO_PHYSICIAN.email, DEMO_PHYSICIAN.password);
    const dashboard = new DashboardPage(page, portal.url);
    await dashboard.heading().waitFor();
    await dashboard.search('Helene');
    await expect.poll(() => dashboard.rows().count()).toBe(1);
    await dashboard.openPatient('Hélène Dupont-Moreau');

    const record = new PatientRecordPage(page);
    await record.title().waitFor();
    await record.showResults();
    await screenshot(page, '06-dossier-ouvert');
    await record.close();

    await dashboard.heading().waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    expect(new URL(page.url()).searchParams.get('q')).toBe('Helene');
    expect(await dashboard.filterInput().inputValue()).toBe('Helene');
    await expect.poll(() => dashboard.rows().count()).toBe(1);
    await screenshot(page, '06-retour-tableau-de-bord');
    await ctx.close();
  });
});
