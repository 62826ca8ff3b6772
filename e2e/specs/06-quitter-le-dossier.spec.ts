import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PatientRecordPage } from '../pages/patient.page.js';
import { screenshot } from '../support/browser.js';
import { openDashboardAsDemoPhysician, startDemoPortal } from '../support/demo.js';
import type { PortalServer } from '../support/server.js';

describe('§6 Quitter le dossier patient', () => {
  let portal: PortalServer;
  let browser: Browser;
  beforeAll(async () => {
    ({ portal, browser } = await startDemoPortal());
  });
  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
  });

  it('the cross next to the patient’s name returns to the dashboard with the filter kept', async () => {
    const { ctx, page, dashboard } = await openDashboardAsDemoPhysician(browser, portal);
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
