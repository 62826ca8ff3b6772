import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from '../support/browser.js';
import { openDashboardAsDemoPhysician, startDemoPortal } from '../support/demo.js';
import type { PortalServer } from '../support/server.js';

describe('§3 Tableau de bord', () => {
  let portal: PortalServer;
  let browser: Browser;
  beforeAll(async () => {
    ({ portal, browser } = await startDemoPortal());
  });
  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
  });

  it('lists my patients newest exam first and filters them by an accented name, kept in the URL', async () => {
    const { ctx, page, dashboard } = await openDashboardAsDemoPhysician(browser, portal);
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
