import type { Page } from 'playwright-core';

/** « Mon compte » (issue 20): password, second factors, active sessions. */
export class MyAccountPage {
  constructor(private readonly page: Page) {}

  /** From the header: the person's name leads to their account. */
  async openFromHeader(): Promise<void> {
    await this.page.getByTestId('user-name').click();
    await this.page.getByRole('heading', { name: 'Mon compte', level: 1 }).waitFor();
  }

  /** Enrols an authenticator app; returns the key shown (what the app would read from the QR code). */
  async startTotp(): Promise<string> {
    await this.page.getByRole('button', { name: 'Ajouter une application d’authentification' }).click();
    const secret = this.page.getByTestId('totp-secret');
    await secret.waitFor();
    await this.page.getByRole('img', { name: 'QR code à scanner avec votre application d’authentification' }).waitFor();
    return ((await secret.textContent()) ?? '').replace(/\s/g, '');
  }

  async confirmTotp(code: string): Promise<void> {
    await this.page.getByLabel('Code de vérification').fill(code);
    await this.page.getByRole('button', { name: 'Valider' }).click();
  }

  /** The recovery codes shown once, then acknowledged. */
  async takeRecoveryCodes(): Promise<string[]> {
    const list = this.page.getByTestId('recovery-codes');
    await list.waitFor();
    const codes = (await list.locator('code').allTextContents()).map((c) => c.trim());
    await this.page.getByRole('button', { name: 'J’ai noté mes codes' }).click();
    return codes;
  }

  async changePassword(current: string, next: string): Promise<void> {
    await this.page.getByLabel('Mot de passe actuel').fill(current);
    await this.page.getByLabel('Nouveau mot de passe').fill(next);
    await this.page.getByLabel('Confirmer le mot de passe').fill(next);
    await this.page.getByRole('button', { name: 'Changer le mot de passe' }).click();
  }

  sessionRows() {
    return this.page.getByTestId('session-row');
  }

  /** Ends the one other session listed. */
  async endOtherSession(): Promise<void> {
    await this.page.getByRole('button', { name: /^Mettre fin à la session/ }).click();
    await this.page.getByTestId('sessions-message').waitFor();
  }
}

/** The login page's second step (« Code de vérification »), after a right password. */
export class SecondFactorStep {
  constructor(private readonly page: Page) {}

  async waitFor(): Promise<void> {
    await this.page.getByTestId('second-factor-step').waitFor();
  }

  async enter(code: string): Promise<void> {
    await this.page.getByLabel('Code de vérification').fill(code);
    await this.page.getByRole('button', { name: 'Valider' }).click();
  }
}
