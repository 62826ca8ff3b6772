import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginPage } from '../pages/login.page.js';
import { launchBrowser, newContext, screenshot } from '../support/browser.js';
import { startPortal, type PortalServer } from '../support/server.js';

const CLAIRE = { email: 'claire.martin@demo.e-mage.fr', password: 'Demo-e-mage-2026' };
const IDLE_SECONDS = 30;

/** What the server says about the page's session cookie. */
function meOnServer(page: Page): Promise<unknown> {
  return page.evaluate(async () => {
    const res = await fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { id } }' }) });
    return ((await res.json()) as { data: { me: unknown } }).data.me;
  });
}

describe('§7 Déconnexion', () => {
  let portal: PortalServer;
  let browser: Browser;
  beforeAll(async () => {
    // A 30-second idle timeout (default 15 minutes): the warning then comes at half of it.
    [portal, browser] = await Promise.all([startPortal({ SESSION_IDLE_MINUTES: String(IDLE_SECONDS / 60) }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
  });

  it('the icon at the top right logs out, and the session is over on the server too', async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    const login = new LoginPage(page, portal.url);
    await login.open();
    await login.login(CLAIRE.email, CLAIRE.password);
    await page.getByRole('heading', { name: 'Tableau de bord' }).waitFor();

    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await login.waitFor();
    await page.goto(`${portal.url}/`);
    await login.waitFor();
    expect(await meOnServer(page)).toBeNull();
    await ctx.close();
  });

  it('after inactivity the page warns, "Rester connecté" keeps the session, then it returns to the login page with a message', async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    const login = new LoginPage(page, portal.url);
    await login.open();
    await login.login(CLAIRE.email, CLAIRE.password);
    await page.getByRole('heading', { name: 'Tableau de bord' }).waitFor();

    const warning = page.getByTestId('idle-warning');
    await warning.waitFor({ timeout: IDLE_SECONDS * 1000 });
    await warning.getByText('vous serez déconnecté dans').waitFor();
    await screenshot(page, '07-idle-warning');
    await page.getByRole('button', { name: 'Rester connecté' }).click();
    await warning.waitFor({ state: 'hidden' });
    await page.getByRole('heading', { name: 'Tableau de bord' }).waitFor();

    // No activity now: the warning comes back, then the session ends.
    await warning.waitFor({ timeout: IDLE_SECONDS * 1000 });
    await login.idleMessage().waitFor({ timeout: IDLE_SECONDS * 1000 });
    expect(await login.idleMessage().textContent()).toContain('déconnecté automatiquement');
    await screenshot(page, '07-idle-logged-out');

    // The server ended it too: the session cookie no longer opens anything.
    expect(await meOnServer(page)).toBeNull();
    await ctx.close();
  }, 120_000);
});
