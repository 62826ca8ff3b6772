import { randomInt } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { luhnDigit } from '../fixtures/facility.js';
import { LoginPage } from '../pages/login.page.js';
import { MyAccountPage, SecondFactorStep } from '../pages/my-account.page.js';
import { launchBrowser, newContext, screenshot } from '../support/browser.js';
import { startPortal, type PortalServer } from '../support/server.js';
import { totpCode } from '../support/totp.js';

const PASSWORD = 'Une-phrase-de-passe-2026';
/** Each test makes its own account through the CLI and logs in several times: more than the default minute on this machine. */
const SLOW = 180_000;
/** The outbox also carries the demo's exam notifications, published in the background meanwhile. */
const MAIL_WAIT_MS = 60_000;

/**
 * « Mon compte » and the second factor (issue 20): an authenticator app enrolled with its QR code
 * and asked after the password; wrong codes count toward the 3-failure lock; a recovery code
 * works once; a password change ends the other sessions; a session ended from « Mon compte »
 * logs that browser out.
 */
describe('Mon compte: password, second factor, sessions', () => {
  let portal: PortalServer;
  let browser: Browser;
  beforeAll(async () => {
    [portal, browser] = await Promise.all([startPortal(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
  });

  /** A physician account of its own (a test's second factor or lock must not touch another's). */
  async function newPhysician(name: string): Promise<string> {
    const email = `${name.toLowerCase()}-${randomInt(1e9)}@e2e.e-mage.fr`;
    const body = `1${String(randomInt(1e9)).padStart(9, '0')}`;
    await portal.cli(['user', 'create', '--role', 'PHYSICIAN', '--email', email, '--first-name', 'Test', '--last-name', name, '--rpps', body + luhnDigit(body), '--password', PASSWORD]);
    return email;
  }

  async function loggedIn(email: string, password = PASSWORD): Promise<{ ctx: BrowserContext; page: Page }> {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    const login = new LoginPage(page, portal.url);
    await login.open();
    await login.login(email, password);
    await page.getByRole('heading', { name: 'Tableau de bord' }).waitFor();
    return { ctx, page };
  }

  /** Enrols an authenticator app from « Mon compte »; returns its key and the recovery codes. */
  async function enrolTotp(email: string): Promise<{ key: string; recoveryCodes: string[] }> {
    const { ctx, page } = await loggedIn(email);
    const account = new MyAccountPage(page);
    await account.openFromHeader();
    const key = await account.startTotp();
    await screenshot(page, '11-totp-enrolment');
    // A wrong code first: refused, nothing enrolled.
    await account.confirmTotp(totpCode(key, 4));
    await expect.poll(() => page.getByTestId('totp-error').textContent()).toContain('Code incorrect');
    await account.confirmTotp(totpCode(key));
    const recoveryCodes = await account.takeRecoveryCodes();
    await page.getByTestId('factor-TOTP').waitFor();
    expect(await page.getByTestId('recovery-left').textContent()).toContain('10');
    await ctx.close();
    return { key, recoveryCodes };
  }

  it('password + authenticator app: the code is asked after the password, and opens the portal', async () => {
    const email = await newPhysician('Totp');
    const { key, recoveryCodes } = await enrolTotp(email);
    expect(recoveryCodes).toHaveLength(10);
    await portal.waitForMail((m) => m.to.includes(email) && m.subject.includes('application d’authentification'), MAIL_WAIT_MS);

    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    const login = new LoginPage(page, portal.url);
    await login.open();
    await login.login(email, PASSWORD);
    const step = new SecondFactorStep(page);
    await step.waitFor();
    await screenshot(page, '11-code-de-verification');
    // The enrolment's code was this 30-second step's: the app's next code.
    await step.enter(totpCode(key, 1));
    await page.getByRole('heading', { name: 'Tableau de bord' }).waitFor();
    await ctx.close();
  }, SLOW);

  it('a wrong code counts toward the lockout: the third failure locks the account', async () => {
    const email = await newPhysician('Blocage');
    const { key } = await enrolTotp(email);
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    const login = new LoginPage(page, portal.url);
    await login.open();
    await login.login(email, PASSWORD);
    const step = new SecondFactorStep(page);
    await step.waitFor();
    const wrong = totpCode(key, 1) === '000000' ? '111111' : '000000';
    await step.enter(wrong);
    await expect.poll(() => login.error().textContent()).toBe('Code incorrect. Il vous reste 2 tentatives avant le blocage de votre compte.');
    await step.enter(wrong);
    await expect.poll(() => login.error().textContent()).toBe('Code incorrect. Il vous reste 1 tentative avant le blocage de votre compte.');
    await step.enter(wrong);
    await expect.poll(() => login.error().textContent()).toContain('Votre compte est bloqué après 3 tentatives de connexion erronées');
    // Locked: even the right code is refused now.
    await step.enter(totpCode(key, 1));
    await expect.poll(() => login.error().textContent()).toContain('Votre compte est bloqué');
    expect(await page.getByRole('heading', { name: 'Tableau de bord' }).count()).toBe(0);
    await ctx.close();
  }, SLOW);

  it('a recovery code opens the portal once, and never again', async () => {
    const email = await newPhysician('Secours');
    const { recoveryCodes } = await enrolTotp(email);
    const code = recoveryCodes[0]!;

    const first = await newContext(browser);
    const page = await first.newPage();
    const login = new LoginPage(page, portal.url);
    await login.open();
    await login.login(email, PASSWORD);
    await new SecondFactorStep(page).enter(code);
    await page.getByRole('heading', { name: 'Tableau de bord' }).waitFor();
    const account = new MyAccountPage(page);
    await account.openFromHeader();
    expect(await page.getByTestId('recovery-left').textContent()).toContain('9');
    await first.close();

    const second = await newContext(browser);
    const again = await second.newPage();
    const login2 = new LoginPage(again, portal.url);
    await login2.open();
    await login2.login(email, PASSWORD);
    await new SecondFactorStep(again).enter(code);
    await expect.poll(() => login2.error().textContent()).toContain('Code incorrect');
    await second.close();
  }, SLOW);

  it('a password change ends the other sessions: the other browser is back at the login page', async () => {
    const email = await newPhysician('Motdepasse');
    const other = await loggedIn(email);
    const { ctx, page } = await loggedIn(email);
    const account = new MyAccountPage(page);
    await account.openFromHeader();
    await account.changePassword(PASSWORD, 'Un-tout-nouveau-mot-de-passe-2026');
    await page.getByTestId('change-password-done').waitFor();
    await expect.poll(() => account.sessionRows().count()).toBe(1);
    // The other browser's live connection is closed at once: it is logged out without a click.
    await new LoginPage(other.page, portal.url).waitFor();
    await portal.waitForMail((m) => m.to.includes(email) && m.subject === 'e-mage : votre mot de passe a été modifié', MAIL_WAIT_MS);
    await other.ctx.close();
    await ctx.close();
  }, SLOW);

  it('ending a session from « Mon compte » logs that browser out', async () => {
    const email = await newPhysician('Session');
    const other = await loggedIn(email);
    const { ctx, page } = await loggedIn(email);
    const account = new MyAccountPage(page);
    await account.openFromHeader();
    await expect.poll(() => account.sessionRows().count()).toBe(2);
    expect(await page.getByTestId('current-session').textContent()).toBe('Cette session');
    expect(await account.sessionRows().first().textContent()).toContain('Chrome');
    await screenshot(page, '11-sessions');
    await account.endOtherSession();
    await expect.poll(() => account.sessionRows().count()).toBe(1);
    await new LoginPage(other.page, portal.url).waitFor();
    // Its next request is refused too: a reload stays at the login page.
    await other.page.goto(`${portal.url}/`);
    await new LoginPage(other.page, portal.url).waitFor();
    await other.ctx.close();
    await ctx.close();
  }, SLOW);
});
