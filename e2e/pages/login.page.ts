import type { Page } from 'playwright-core';

/** The login page (guide §2), as a physician sees it. */
export class LoginPage {
  constructor(private readonly page: Page, private readonly baseUrl: string) {}

  async open(): Promise<void> {
    await this.page.goto(`${this.baseUrl}/connexion`);
    await this.waitFor();
  }

  async waitFor(): Promise<void> {
    await this.page.getByRole('heading', { name: 'Connexion' }).waitFor();
  }

  async login(email: string, password: string): Promise<void> {
    await this.page.getByLabel('Identifiant (adresse e-mail)').fill(email);
    await this.page.getByLabel('Mot de passe', { exact: true }).fill(password);
    await this.page.getByRole('button', { name: 'Se connecter' }).click();
  }

  error() {
    return this.page.getByTestId('login-error');
  }

  idleMessage() {
    return this.page.getByTestId('idle-logout-message');
  }

  async forgotPassword(): Promise<void> {
    await this.page.getByRole('link', { name: 'Mot de passe oublié' }).click();
  }

  async requestAccount(): Promise<void> {
    await this.page.getByRole('link', { name: 'Demander la création d’un compte' }).click();
  }
}
