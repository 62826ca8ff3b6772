import { randomInt } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusStudy, newUid } from '../fixtures/corpus-study.js';
import { luhnDigit, TestFacility } from '../fixtures/facility.js';
import { LoginPage } from '../pages/login.page.js';
import { launchBrowser, newContext, screenshot } from '../support/browser.js';
import { startPortal, type PortalServer } from '../support/server.js';

const ADMIN = { email: 'admin@demo.e-mage.fr', password: 'Demo-e-mage-2026' };

describe('Administration: imaging facilities, their API keys and the audit trail', () => {
  let portal: PortalServer;
  let browser: Browser;
  beforeAll(async () => {
    [portal, browser] = await Promise.all([startPortal(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
  });

  /** A new context where the demo administrator has logged in and opened `link` from the header. */
  async function openAsAdmin(link: string, heading: string) {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    const login = new LoginPage(page, portal.url);
    await login.open();
    await login.login(ADMIN.email, ADMIN.password);
    await page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: link }).click();
    await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
    return { ctx, page };
  }

  it('an administrator adds a facility, gives it a key shown once that publishes, revokes it, and finds it all in the audit trail', async () => {
    const { ctx, page } = await openAsAdmin('Structures', 'Structures d’imagerie');

    // A FINESS without its right check key is refused, with the reason, and nothing is added.
    const body = `57${String(randomInt(0, 1_000_000)).padStart(6, '0')}`;
    const finess = body + luhnDigit(body);
    const wrong = body + String((Number(luhnDigit(body)) + 1) % 10);
    await page.getByLabel('Nom de la structure').fill('Imagerie de la Seille');
    await page.getByLabel('Numéro FINESS').fill(wrong);
    await page.getByRole('button', { name: 'Ajouter la structure' }).click();
    await expect.poll(() => page.getByTestId('facility-form-error').textContent()).toContain('Numéro FINESS invalide');
    expect(await page.getByRole('heading', { name: /Imagerie de la Seille/ }).count()).toBe(0);

    // The keyboard reaches the form: the right number, then Enter.
    await page.getByLabel('Numéro FINESS').fill(finess);
    await page.getByLabel('Numéro FINESS').press('Enter');
    const card = page.getByRole('article', { name: /Imagerie de la Seille/ });
    await card.getByText('Aucune clé : ce centre ne peut pas encore publier.').waitFor();

    // A key, shown once, in a field of its own.
    await card.getByRole('button', { name: 'Créer une clé d’API pour Imagerie de la Seille' }).click();
    const keyField = page.getByLabel('Clé d’API', { exact: true });
    await keyField.waitFor();
    const key = await keyField.inputValue();
    expect(key).toMatch(/^emk_/);
    await screenshot(page, '09-new-api-key');
    const row = card.getByTestId(`key-${key.slice(0, 10)}`);
    await row.getByText('Active').waitFor();
    await page.getByRole('button', { name: 'J’ai copié la clé' }).click();
    await keyField.waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(key);

    // The centre publishes with it; the page shows when the key was last used.
    const facility = TestFacility.withKey(portal, key);
    const [series] = corpusStudy(newUid());
    expect(await facility.stowStatus([series!.bytes])).toBe(200);
    await page.reload();
    await expect.poll(() => row.locator('td').nth(2).textContent()).not.toContain('Jamais');

    // Revoked after a confirmation: STOW-RS refuses the key at once.
    await row.getByRole('button', { name: `Révoquer la clé ${key.slice(0, 10)}` }).click();
    await row.getByRole('button', { name: `Confirmer la révocation de ${key.slice(0, 10)}` }).click();
    await row.getByText(/Révoquée le/).waitFor();
    expect(await facility.stowStatus([corpusStudy(newUid())[0]!.bytes])).toBe(401);
    await screenshot(page, '09-facilities');

    // The audit trail tells it, newest first, with the administrator as actor.
    await page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: 'Journal' }).click();
    await page.getByRole('heading', { name: 'Journal d’audit', level: 1 }).waitFor();
    const events = page.getByTestId('audit-event');
    await events.first().waitFor();
    const rows = await events.allTextContents();
    const at = (action: string) => rows.findIndex((row) => row.includes(action));
    // Newest first (the demo's publications may come in between).
    expect(at('Clé d’API révoquée')).toBeGreaterThanOrEqual(0);
    expect(at('Clé d’API révoquée')).toBeLessThan(at('Clé d’API créée'));
    expect(at('Clé d’API créée')).toBeLessThan(at('Structure ajoutée'));
    const revoked = events.filter({ hasText: 'Clé d’API révoquée' }).first();
    expect(await revoked.textContent()).toContain(ADMIN.email);
    expect(await revoked.textContent()).toContain('structure\u00a0: Imagerie de la Seille');

    // Only this administrator's traces: a click on their address; the filter is in the address bar.
    await revoked.getByRole('button', { name: `Ne voir que les traces de ${ADMIN.email}` }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('utilisateur')).toMatch(/^[0-9a-f-]{36}$/);
    // A login, the facility, a key, its revocation: all theirs, none of anyone else's.
    await expect.poll(async () => {
      const filtered = await events.allTextContents();
      return filtered.length >= 4 && filtered.every((row) => row.includes(ADMIN.email));
    }).toBe(true);
    await screenshot(page, '09-audit-trail');

    // A malformed id is refused in words, without a request.
    await page.getByLabel('Identifiant du patient').fill('dupont');
    await page.getByRole('button', { name: 'Filtrer' }).click();
    await page.getByRole('alert').filter({ hasText: 'Un identifiant a la forme' }).waitFor();
    await ctx.close();
  });

  it('an administrator disables a physician’s account: their open page is logged out and the password refused; enabled, it works again', async () => {
    const PHYSICIAN = { email: 'paul.lambert@demo.e-mage.fr', password: 'Demo-e-mage-2026', name: 'Paul Lambert' };
    const doctorCtx = await newContext(browser);
    const doctor = await doctorCtx.newPage();
    const doctorLogin = new LoginPage(doctor, portal.url);
    await doctorLogin.open();
    await doctorLogin.login(PHYSICIAN.email, PHYSICIAN.password);
    await doctor.getByRole('heading', { name: 'Tableau de bord', level: 1 }).waitFor();

    const { ctx, page } = await openAsAdmin('Comptes', 'Comptes');
    await page.getByLabel('Nom, e-mail ou RPPS').fill('lambert');
    await page.getByLabel('Rôle').selectOption('PHYSICIAN');
    await page.getByRole('button', { name: 'Rechercher' }).click();
    const row = page.getByTestId(`account-${PHYSICIAN.email}`);
    await row.getByText('Actif').waitFor();
    await expect.poll(() => page.getByTestId('accounts').locator('tbody tr').count()).toBe(1);

    await row.getByRole('button', { name: `Désactiver le compte de ${PHYSICIAN.name}` }).click();
    await row.getByRole('button', { name: `Confirmer la désactivation du compte de ${PHYSICIAN.name}` }).click();
    await row.getByText('Désactivé').waitFor();
    await screenshot(page, '09-accounts');

    // The physician's open page goes to the login page by itself (its live connection was closed),
    // and their password no longer opens a session.
    await doctor.waitForURL(/\/connexion/);
    await doctorLogin.login(PHYSICIAN.email, PHYSICIAN.password);
    await doctorLogin.error().waitFor();
    expect(doctor.url()).toContain('/connexion');

    // The physician's trail, from their row: the administrator's change, and the refused login after it.
    await row.getByRole('link', { name: `Voir le journal du compte de ${PHYSICIAN.name}` }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('utilisateur')).toMatch(/^[0-9a-f-]{36}$/);
    const disabledRow = page.getByTestId('audit-event').filter({ hasText: /Compte désactivé/ });
    await disabledRow.waitFor();
    expect(await disabledRow.textContent()).toContain(ADMIN.email);
    expect(await disabledRow.textContent()).toContain(`compte\u00a0: ${PHYSICIAN.email}`);
    await page.getByTestId('audit-event').filter({ hasText: 'Échec de connexion' }).filter({ hasText: 'résultat : compte désactivé' }).first().waitFor();
    await screenshot(page, '09-audit-trail-of-a-user');
    await page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: 'Comptes' }).click();

    await row.getByRole('button', { name: `Réactiver le compte de ${PHYSICIAN.name}` }).click();
    await row.getByText('Actif').waitFor();
    await doctorLogin.login(PHYSICIAN.email, PHYSICIAN.password);
    await doctor.getByRole('heading', { name: 'Tableau de bord', level: 1 }).waitFor();
    await doctorCtx.close();
    await ctx.close();
  });
});
