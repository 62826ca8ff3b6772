import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { luhnDigit } from '../fixtures/facility.js';
import { AccountPages, linkIn } from '../pages/account.page.js';
import { AdminRequestsPage } from '../pages/admin.page.js';
import { LoginPage } from '../pages/login.page.js';
import { launchBrowser, newContext, screenshot } from '../support/browser.js';
import { startPortal, type PortalServer } from '../support/server.js';

const PASSWORD = 'Demo-e-mage-2026';
const CLAIRE = 'claire.martin@demo.e-mage.fr';
const PAUL = 'paul.lambert@demo.e-mage.fr';
const ADMIN = 'admin@demo.e-mage.fr';

/** A valid RPPS (Luhn key) of the 10-digit body given. */
const rpps = (body: string): string => body + luhnDigit(body);

/** "hh:mm:ss" shown by the page, as today's instant in the page's time zone (Europe/Paris). */
async function shownTime(page: Page, text: string): Promise<number> {
  const m = /(\d{2}):(\d{2}):(\d{2})/.exec(text);
  if (!m) throw new Error(`No time in "${text}"`);
  return page.evaluate(([h, min, s]) => {
    const d = new Date();
    d.setHours(Number(h), Number(min), Number(s), 999);
    return d.getTime();
  }, [m[1], m[2], m[3]] as const);
}

describe('§2 Connexion', () => {
  let portal: PortalServer;
  let browser: Browser;
  beforeAll(async () => {
    // A 6-second lock, so the test can see it end (the product's default is 5 minutes).
    [portal, browser] = await Promise.all([startPortal({ LOCKOUT_MINUTES: '0.1' }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
  });

  it('a physician logs in with e-mail and password and sees the dashboard, with the support contact on the page', async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    const login = new LoginPage(page, portal.url);
    await login.open();
    await page.getByText('Attention, si vous réalisez 3 tentatives de connexion erronées').waitFor();
    await page.getByTestId('support').getByText('03 83 97 13 70').waitFor();
    await screenshot(page, '02-login');
    await login.login(CLAIRE, PASSWORD);
    await page.getByRole('heading', { name: 'Tableau de bord' }).waitFor();
    expect(await page.getByTestId('user-name').textContent()).toContain('Claire Martin');
    await screenshot(page, '02-dashboard-after-login');
    await ctx.close();
  });

  it('3 wrong passwords lock the account until the time shown; the right password is refused during the lock and accepted after', async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    const login = new LoginPage(page, portal.url);
    await login.open();
    await login.login(PAUL, 'not-my-password-1');
    await login.error().getByText('Il vous reste 2 tentatives avant').waitFor();
    await login.login(PAUL, 'not-my-password-2');
    await login.error().getByText('Il vous reste 1 tentative avant').waitFor();
    await login.login(PAUL, 'not-my-password-3');
    await login.error().getByText('Votre compte est bloqué').waitFor();
    const lockedText = (await login.error().textContent()) ?? '';
    expect(lockedText).toMatch(/à partir de \d{2}:\d{2}:\d{2}/);
    await screenshot(page, '02-account-locked');
    const unlockAt = await shownTime(page, lockedText);

    await login.login(PAUL, PASSWORD);
    await login.error().getByText('Votre compte est bloqué').waitFor();
    expect(page.url()).toContain('/connexion');

    // As the physician would: come back once the time shown has passed.
    await new Promise((r) => setTimeout(r, Math.max(0, unlockAt - Date.now()) + 200));
    await login.login(PAUL, PASSWORD);
    await page.getByRole('heading', { name: 'Tableau de bord' }).waitFor();
    await ctx.close();
  });

  it('forgot password: the e-mail arrives, its link (token out of the address bar) sets a new password that logs in', async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    const login = new LoginPage(page, portal.url);
    const pages = new AccountPages(page);
    await login.open();
    await login.forgotPassword();
    await pages.askResetLink(CLAIRE);
    await screenshot(page, '02-forgot-password-sent');

    const mail = await portal.waitForMail((m) => m.to.includes(CLAIRE) && /réinitialisation/.test(m.subject));
    await page.goto(linkIn(mail.text, 'reinitialiser-mot-de-passe'));
    await page.getByRole('heading', { name: 'Réinitialisation du mot de passe' }).waitFor();
    expect(page.url()).not.toContain('token');
    await pages.passwordPolicy().getByText('au moins 12 caractères').waitFor();

    await pages.choosePassword('motdepasse123', 'Enregistrer le mot de passe');
    await pages.passwordError().getByText('trop courant').waitFor();
    const fresh = 'Une nouvelle phrase de passe';
    await pages.choosePassword(fresh, 'Enregistrer le mot de passe');
    await page.getByTestId('reset-done').waitFor();
    await screenshot(page, '02-password-reset-done');

    await page.getByRole('link', { name: 'Retour à la connexion' }).click();
    await login.waitFor();
    await login.login(CLAIRE, PASSWORD);
    await login.error().getByText('Identifiant ou mot de passe incorrect.').waitFor();
    await login.login(CLAIRE, fresh);
    await page.getByRole('heading', { name: 'Tableau de bord' }).waitFor();
    await ctx.close();
  });

  it('an account request, approved by an administrator, leads to an activation e-mail, a chosen password and a login', async () => {
    const applicant = { firstName: 'Lucie', lastName: 'Bernard', email: 'lucie.bernard@cabinet.example.fr', rpps: rpps('1009876543'), phone: '03 83 12 34 56' };
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    const login = new LoginPage(page, portal.url);
    const pages = new AccountPages(page);
    await login.open();
    await login.requestAccount();
    // One digit mistyped breaks the check key: the form says so before sending.
    await pages.fillAccountRequest({ ...applicant, rpps: applicant.rpps.slice(0, 10) + String((Number(applicant.rpps[10]) + 1) % 10) });
    await pages.rppsError().getByText('Numéro RPPS invalide').waitFor();
    await pages.fillAccountRequest(applicant);
    await pages.sendAccountRequest();
    await page.getByTestId('request-sent').waitFor();
    await screenshot(page, '02-account-request-sent');

    const adminCtx = await newContext(browser);
    const adminPage = await adminCtx.newPage();
    const adminLogin = new LoginPage(adminPage, portal.url);
    await adminLogin.open();
    await adminLogin.login(ADMIN, PASSWORD);
    const requests = new AdminRequestsPage(adminPage);
    await requests.waitFor();
    await requests.pendingRow(applicant.email).getByText(applicant.rpps).waitFor();
    await screenshot(adminPage, '02-admin-requests');
    await requests.approve('Lucie Bernard');
    await requests.decidedRow(applicant.email).getByText('Approuvée').waitFor();
    await adminCtx.close();

    const mail = await portal.waitForMail((m) => m.to.includes(applicant.email) && /activez/.test(m.subject));
    expect(mail.text).not.toMatch(/mot de passe\s*:/i);
    await page.goto(linkIn(mail.text, 'activation'));
    await page.getByRole('heading', { name: 'Activation de votre compte' }).waitFor();
    expect(page.url()).not.toContain('token');
    await pages.choosePassword('Le cabinet de la rue Stanislas', 'Activer mon compte');
    await page.getByTestId('activation-done').waitFor();

    await login.open();
    await login.login(applicant.email, 'Le cabinet de la rue Stanislas');
    await page.getByRole('heading', { name: 'Tableau de bord' }).waitFor();
    expect(await page.getByTestId('user-name').textContent()).toContain('Lucie Bernard');

    // The link was single-use.
    await page.goto(linkIn(mail.text, 'activation'));
    await pages.choosePassword('Encore une autre phrase', 'Activer mon compte');
    await page.getByTestId('link-invalid').waitFor();
    await ctx.close();
  });
});
