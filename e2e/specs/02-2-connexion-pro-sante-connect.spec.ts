import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { luhnDigit } from '../fixtures/facility.js';
import { LoginPage } from '../pages/login.page.js';
import { launchBrowser, newContext, screenshot } from '../support/browser.js';
import { startPortal, type PortalServer } from '../support/server.js';
import { PHYSICIANS } from '../../server/src/modules/demo/generator/people.js';
import { startPscProvider, type PscProvider } from '../../server/test/auth/psc-provider.js';

/** Claire Martin, a demo physician with an account: her RPPS is what Pro Santé Connect vouches for. */
const CLAIRE = PHYSICIANS.find((p) => p.firstName === 'Claire' && p.lastName === 'Martin' && p.hasAccount);

describe('§2 Connexion avec Pro Santé Connect (issue 20)', () => {
  let portal: PortalServer;
  let browser: Browser;
  let psc: PscProvider;
  beforeAll(async () => {
    // A real OpenID Connect provider on loopback, configured like PSC (server/test/auth/psc-provider.ts).
    psc = await startPscProvider();
    [portal, browser] = await Promise.all([
      startPortal({ PSC_ISSUER_URL: psc.issuer, PSC_CLIENT_ID: psc.clientId, PSC_CLIENT_SECRET: psc.clientSecret }),
      launchBrowser(),
    ]);
    psc.serve(portal.url);
  });
  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
    await psc?.stop();
  });

  it('« Se connecter avec Pro Santé Connect » leads through the provider to the dashboard; logging out ends the session at the provider too', async () => {
    if (!CLAIRE) throw new Error('Claire Martin is no longer a demo physician with an account');
    psc.nextLogin = psc.addAccount({ rpps: CLAIRE.rpps, givenName: 'CLAIRE', familyName: 'MARTIN' });
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    const login = new LoginPage(page, portal.url);
    await login.open();
    await screenshot(page, '02-2-login-psc');
    await page.getByRole('link', { name: 'Se connecter avec Pro Santé Connect' }).click();
    await page.getByRole('heading', { name: 'Tableau de bord' }).waitFor();
    expect(await page.getByTestId('user-name').textContent()).toContain('Claire Martin');
    await screenshot(page, '02-2-dashboard-after-psc');

    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    // The provider's own page: it asks whether to leave Pro Santé Connect too.
    await page.getByRole('button', { name: 'Se déconnecter de Pro Santé Connect' }).click();
    await login.waitFor();
    expect(new URL(page.url()).pathname).toBe('/connexion');
    const me = await page.evaluate(async () => {
      const res = await fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { id } }' }) });
      return ((await res.json()) as { data: { me: unknown } }).data.me;
    });
    expect(me).toBeNull();
    // Logged out at the provider too: the next login goes through its login step again.
    psc.prompts.length = 0;
    await page.getByRole('link', { name: 'Se connecter avec Pro Santé Connect' }).click();
    await page.getByRole('heading', { name: 'Tableau de bord' }).waitFor();
    expect(psc.prompts[0]).toBe('login');
    await ctx.close();
  });

  it('an RPPS with no account comes back to the login page with the reason in French, and nothing opens', async () => {
    psc.nextLogin = psc.addAccount({ rpps: '1999999999' + luhnDigit('1999999999') });
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    const login = new LoginPage(page, portal.url);
    await login.open();
    await page.getByRole('link', { name: 'Se connecter avec Pro Santé Connect' }).click();
    await login.waitFor();
    await page.getByTestId('psc-error').getByText('Aucun compte e-mage n’est associé à votre numéro RPPS').waitFor();
    await screenshot(page, '02-2-login-psc-unknown-rpps');
    expect(await page.getByRole('heading', { name: 'Tableau de bord' }).count()).toBe(0);
    await ctx.close();
  });
});
