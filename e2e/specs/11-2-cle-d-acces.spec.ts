import { randomInt } from 'node:crypto';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { luhnDigit } from '../fixtures/facility.js';
import { LoginPage } from '../pages/login.page.js';
import { MyAccountPage, SecondFactorStep } from '../pages/my-account.page.js';
import { launchBrowser, newContext, screenshot } from '../support/browser.js';
import { startPortal, type PortalServer } from '../support/server.js';

const PASSWORD = 'Une-phrase-de-passe-2026';
const SLOW = 180_000;

/**
 * Passkeys (issue 20): enrolled from « Mon compte » and used as the second factor at login, with
 * Chromium's virtual authenticator (DevTools WebAuthn domain) standing for a phone or a security
 * key; removing one asks for the password.
 */
describe('Mon compte: passkey', () => {
  let portal: PortalServer;
  let browser: Browser;
  beforeAll(async () => {
    // A passkey belongs to a host name: the portal is reached as localhost here.
    [portal, browser] = await Promise.all([startPortal({ PUBLIC_HOST: 'localhost' }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
  });

  /** A platform authenticator that verifies the user and answers at once. */
  async function virtualAuthenticator(page: Page): Promise<CDPSession> {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    return cdp;
  }

  it('enrols a passkey, logs in with it after the password, and removes it with the password', async () => {
    const email = `passkey-${randomInt(1e9)}@e2e.e-mage.fr`;
    const body = `1${String(randomInt(1e9)).padStart(9, '0')}`;
    await portal.cli(['user', 'create', '--role', 'PHYSICIAN', '--email', email, '--first-name', 'Test', '--last-name', 'Passkey', '--rpps', body + luhnDigit(body), '--password', PASSWORD]);

    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await virtualAuthenticator(page);
    const login = new LoginPage(page, portal.url);
    await login.open();
    await login.login(email, PASSWORD);
    await page.getByRole('heading', { name: 'Tableau de bord' }).waitFor();

    const account = new MyAccountPage(page);
    await account.openFromHeader();
    await page.getByRole('button', { name: 'Ajouter une clé d’accès' }).click();
    // The first factor comes with its recovery codes.
    expect(await account.takeRecoveryCodes()).toHaveLength(10);
    await page.getByTestId('factor-PASSKEY').waitFor();
    await screenshot(page, '11-2-passkey-enrolled');
    await portal.waitForMail((m) => m.to.includes(email) && m.subject.includes('clé d’accès'), 60_000);

    // The next login asks for the second factor; the passkey answers it.
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await login.waitFor();
    await login.login(email, PASSWORD);
    await new SecondFactorStep(page).waitFor();
    await page.getByRole('button', { name: 'Utiliser ma clé d’accès' }).click();
    await page.getByRole('heading', { name: 'Tableau de bord' }).waitFor();

    // Removing it asks for the password again; a wrong one changes nothing.
    await account.openFromHeader();
    await page.getByRole('button', { name: 'Retirer Clé d’accès' }).click();
    const reauth = page.getByTestId('factor-PASSKEY').getByLabel('Mot de passe', { exact: true });
    await reauth.fill('pas-le-bon-mot-de-passe');
    await page.getByRole('button', { name: 'Confirmer' }).click();
    await expect.poll(() => page.getByTestId('reauth-error').textContent()).toBe('Le mot de passe actuel est incorrect.');
    await reauth.fill(PASSWORD);
    await page.getByRole('button', { name: 'Confirmer' }).click();
    await page.getByText('Aucun second facteur enregistré.').waitFor();

    // Without a factor, the password alone logs in again.
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await login.waitFor();
    await login.login(email, PASSWORD);
    await page.getByRole('heading', { name: 'Tableau de bord' }).waitFor();
    await ctx.close();
  }, SLOW);
});
