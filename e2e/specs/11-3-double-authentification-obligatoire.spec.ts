import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginPage } from '../pages/login.page.js';
import { MyAccountPage, SecondFactorStep } from '../pages/my-account.page.js';
import { seriousViolations } from '../support/axe.js';
import { launchBrowser, newContext, screenshot } from '../support/browser.js';
import { startPortal, type PortalServer } from '../support/server.js';
import { totpCode } from '../support/totp.js';

const ADMIN = { email: 'admin@demo.e-mage.fr', password: 'Demo-e-mage-2026' };

/**
 * Where administrators must have a second factor (MFA_STAFF=required, production's rule; ADR
 * 0127), the demo administrator's first login enrols one before anything else is reachable, and
 * the next login asks for its code. These pages and « Mon compte » pass the axe-core scan (issue 19).
 */
describe('Double authentification obligatoire pour les administrateurs', () => {
  let portal: PortalServer;
  let browser: Browser;
  beforeAll(async () => {
    [portal, browser] = await Promise.all([startPortal({ MFA_STAFF: 'required' }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
  });

  it('the first login enrols an authenticator app, then the portal opens; the next login asks for the code', async () => {
    // bypassCSP: the accessibility scan injects axe-core, which the portal's CSP would refuse.
    const ctx = await newContext(browser, { bypassCSP: true });
    const page = await ctx.newPage();
    const login = new LoginPage(page, portal.url);
    await login.open();
    await login.login(ADMIN.email, ADMIN.password);
    await page.getByRole('heading', { name: 'Double authentification obligatoire' }).waitFor();
    // Nothing else is reachable meanwhile: another page leads back to the login.
    const other = await ctx.newPage();
    await other.goto(`${portal.url}/admin/comptes`);
    await new LoginPage(other, portal.url).waitFor();
    await other.close();

    const account = new MyAccountPage(page);
    const key = ((await page.getByTestId('totp-secret').textContent()) ?? '').replace(/\s/g, '');
    await screenshot(page, '11-3-forced-enrolment');
    expect(await seriousViolations(page)).toEqual([]);
    await account.confirmTotp(totpCode(key));
    expect(await account.takeRecoveryCodes()).toHaveLength(10);
    await page.getByRole('heading', { name: 'Demandes de création de compte', level: 1 }).waitFor();

    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await login.waitFor();
    await login.login(ADMIN.email, ADMIN.password);
    const step = new SecondFactorStep(page);
    await step.waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await step.enter(totpCode(key, 1));
    await page.getByRole('heading', { name: 'Demandes de création de compte', level: 1 }).waitFor();

    // « Mon compte » with a factor and the sessions listed: no serious accessibility violation.
    await account.openFromHeader();
    await page.getByTestId('factor-TOTP').waitFor();
    await page.getByTestId('current-session').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await ctx.close();
  }, 180_000);
});
