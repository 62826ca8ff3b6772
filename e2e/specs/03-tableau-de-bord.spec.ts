import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardPage } from '../pages/dashboard.page.js';
import { LoginPage } from '../pages/login.page.js';
import { launchBrowser, newContext, screenshot } from '../support/browser.js';
import { DEMO_PHYSICIAN, waitForDemoExams } from '../support/demo.js';
import { startPortal, type PortalServer } from '../support/server.js';

describe('§3 Tableau de bord', () => {
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

  it('lists my patients newest exam first and filters them by an accented name, kept in the URL', async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    const login = new LoginPage(page, portal.url);
    await login.open();
    await login.login(DEMO_PHYSICIAN.email, DEMO_PHYSICIAN.password);
    const dashboard = new DashboardPage(page, portal.url);
    await dashboard.heading().waitFor();
    await dashboard.rows().first().waitFor();
    const all = await dashboard.rows().count();
    expect(all).toBeGreaterThan(1);
    await expect.poll(() => dashboard.row('Hélène Dupont-Moreau').count()).toBe(1);
    await screenshot(page, '03-dashboard');

    // "HÉLÈNE" and "helene" find "Hélène Dupont-Moreau", and so does a prefix of her last name.
    for (const filter of ['HÉLÈNE', 'helene', 'dup']) {
      await dashboard.search(filter);
      await expect.poll(() => dashboard.rows().count()).toBe(1);
      expect(await dashboard.rows().first().textContent()).toContain('Hélène Dupont-Moreau');
      expect(new URL(page.url()).searchParams.get('q')).toBe(filter);
    }
    await screenshot(page, '03-dashboard-filtered');

    // The filter survives a reload, and back returns to the previous filter.
    await page.reload();
    await dashboard.rows().first().waitFor();
    expect(await dashboard.filterInput().inputValue()).toBe('dup');
    await page.goBack();
    await expect.poll(() => dashboard.filterInput().inputValue()).toBe('helene');

    await dashboard.search('zzzz');
    await dashboard.emptyState().waitFor();
    expect(await dashboard.emptyState().textContent()).toContain(
      'Les examens sont disponibles uniquement si le patient vous a déclaré comme médecin prescripteur ou correspondant lors de sa venue dans la structure',
    );
    await screenshot(page, '03-dashboard-empty');
    await ctx.close();
  });
});
