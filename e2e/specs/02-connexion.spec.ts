import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginPage } from '../pages/login.page.js';
import { launchBrowser, newContext, screenshot } from '../support/browser.js';
import { startPortal, type PortalServer } from '../support/server.js';

const DEMO = { email: 'claire.martin@demo.e-mage.fr', password: 'Demo-e-mage-2026' };

describe('§2 Connexion and §7 Déconnexion', () => {
  let portal: PortalServer;
  let browser: Browser;
  beforeAll(async () => {
    [portal, browser] = await Promise.all([startPortal(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
  });

  it('a physician logs in with e-mail and password, sees the dashboard, and logs out from the header icon', async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    const login = new LoginPage(page, portal.url);
    await login.open();
    await expect(page.getByText('Besoin d\'assistance ?')).toBeTruthy();
    await login.login(DEMO.email, DEMO.password);
    await page.getByRole('heading', { name: 'Tableau de bord' }).waitFor();
    expect(await page.getByTestId('user-name').textContent()).toContain('Claire Martin');
    await screenshot(page, '02-dashboard-after-login');

    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.getByRole('heading', { name: 'Connexion' }).waitFor();
    // The session is over on the server too: the dashboard sends back to the login page.
    await page.goto(`${portal.url}/`);
    await page.getByRole('heading', { name: 'Connexion' }).waitFor();
    await ctx.close();
  });
});
