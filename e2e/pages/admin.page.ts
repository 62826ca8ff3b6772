import type { Page } from 'playwright-core';

/** The administrator's account requests page (/admin/demandes). */
export class AdminRequestsPage {
  constructor(private readonly page: Page) {}

  async waitFor(): Promise<void> {
    await this.page.getByRole('heading', { name: 'Demandes de création de compte' }).waitFor();
  }

  pendingRow(email: string) {
    return this.page.getByTestId(`request-${email}`);
  }

  decidedRow(email: string) {
    return this.page.getByTestId(`decided-${email}`);
  }

  async approve(name: string): Promise<void> {
    await this.page.getByRole('button', { name: `Approuver la demande de ${name}` }).click();
    await this.page.getByTestId('admin-message').waitFor();
  }

  async reject(name: string, reason: string): Promise<void> {
    await this.page.getByRole('button', { name: `Refuser la demande de ${name}` }).click();
    await this.page.getByLabel('Motif du refus (envoyé au demandeur)').fill(reason);
    await this.page.getByRole('button', { name: 'Confirmer le refus' }).click();
    await this.page.getByTestId('admin-message').waitFor();
  }
}
