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

  it('on a phone (390 × 844), the dashboard, its notifications, a record’s results and my shares fit the screen: nothing to scroll sideways', async () => {
    const { ctx, page, dashboard } = await openDashboardAsDemoPhysician(browser, portal, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    /** How far the page reaches past the screen's right edge, in CSS pixels (the layout viewport is the phone's 390 px). */
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - 390);
    await dashboard.rows().first().waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);
    // What a physician needs to pick a patient stays on screen: the name and the last exam.
    const first = dashboard.row('Hélène Dupont-Moreau');
    await expect.poll(() => first.getByRole('link', { name: 'Hélène Dupont-Moreau' }).isVisible()).toBe(true);
    // Dates with the month in words (« 12 mars 1961 »), never ambiguous (ADR 0107).
    expect(await first.textContent()).toMatch(/\d{1,2}\s\S+\s\d{4} — [A-Z]/);
    await screenshot(page, '03-dashboard-phone');
    // The notifications panel opens on screen, not past its left edge.
    await page.getByRole('button', { name: 'Notifications' }).click();
    const panel = page.getByTestId('notification-panel');
    await panel.waitFor();
    const panelBox = await panel.boundingBox();
    expect(panelBox?.x).toBeGreaterThanOrEqual(0);
    expect((panelBox?.x ?? 0) + (panelBox?.width ?? Infinity)).toBeLessThanOrEqual(390);
    await screenshot(page, '04-notification-panel-phone');
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'hidden' });

    await first.getByRole('link', { name: 'Hélène Dupont-Moreau' }).click();
    await page.getByRole('button', { name: 'Résultats' }).click();
    const report = page.getByTestId('result-row').first().getByRole('link');
    await report.waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);
    const shareButtons = page.getByRole('button', { name: /^Partager/ });
    expect(await shareButtons.first().isVisible()).toBe(true);
    const box = await shareButtons.first().boundingBox();
    expect((box?.x ?? Infinity) + (box?.width ?? 0)).toBeLessThanOrEqual(390);
    await screenshot(page, '05-resultats-phone');

    // A share of this report, then the list of shares.
    const documentId = new URL(await report.evaluate((a) => (a as HTMLAnchorElement).href)).pathname.split('/').pop();
    const shared = await page.evaluate(async (id) => {
      const res = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'mutation($id: ID!) { shareDocument(documentId: $id, email: "confrere@exemple.fr") { id } }', variables: { id } }),
      });
      return res.json();
    }, documentId);
    expect(shared.errors).toBeUndefined();
    await page.getByRole('link', { name: 'Mes partages' }).click();
    const table = page.getByTestId('shares-table');
    await table.getByText('confrere@exemple.fr').waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);
    await screenshot(page, '05-3-mes-partages-phone');
    await ctx.close();
  });
});
