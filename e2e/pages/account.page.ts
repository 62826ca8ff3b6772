import type { Page } from 'playwright-core';

/** Pages reached without a session: forgot password, reset, activation, account request (guide §2). */
export class AccountPages {
  constructor(private readonly page: Page) {}

  async askResetLink(email: string): Promise<void> {
    await this.page.getByRole('heading', { name: 'Mot de passe oublié' }).waitFor();
    await this.page.getByLabel('Identifiant (adresse e-mail)').fill(email);
    await this.page.getByRole('button', { name: 'Envoyer le lien' }).click();
    await this.page.getByTestId('forgot-sent').waitFor();
  }

  passwordPolicy() {
    return this.page.getByTestId('password-policy');
  }

  async choosePassword(password: string, submit: 'Enregistrer le mot de passe' | 'Activer mon compte'): Promise<void> {
    await this.page.getByLabel('Nouveau mot de passe').fill(password);
    await this.page.getByLabel('Confirmer le mot de passe').fill(password);
    await this.page.getByRole('button', { name: submit }).click();
  }

  passwordError() {
    return this.page.getByTestId('password-error');
  }

  async fillAccountRequest(data: { firstName: string; lastName: string; email: string; rpps: string; phone?: string }): Promise<void> {
    await this.page.getByRole('heading', { name: 'Demande de création de compte' }).waitFor();
    await this.page.getByLabel('Prénom').fill(data.firstName);
    await this.page.getByLabel('Nom', { exact: true }).fill(data.lastName);
    await this.page.getByLabel('Adresse e-mail professionnelle').fill(data.email);
    await this.page.getByLabel('Numéro RPPS').fill(data.rpps);
    if (data.phone) await this.page.getByLabel('Téléphone (facultatif)').fill(data.phone);
  }

  rppsError() {
    return this.page.getByTestId('rpps-error');
  }

  async sendAccountRequest(): Promise<void> {
    await this.page.getByRole('button', { name: 'Envoyer la demande' }).click();
  }
}

/** The link in an e-mail's text part (`/path#token=…`). */
export function linkIn(text: string, path: string): string {
  const m = new RegExp(`https?://\\S+/${path}#token=[A-Za-z0-9_-]+`).exec(text);
  if (!m) throw new Error(`No /${path} link in the e-mail:\n${text}`);
  return m[0];
}
