import type { Page } from 'playwright-core';

/** The share pop-up of the physician portal (guide §5.3). */
export class ShareDialog {
  constructor(private readonly page: Page) {}

  dialog() {
    return this.page.getByRole('dialog', { name: 'Partager le document' });
  }

  async fill(email: string, comment: string): Promise<void> {
    await this.dialog().getByLabel('Email').fill(email);
    await this.dialog().getByLabel('Commentaire').fill(comment);
  }

  async submit(): Promise<void> {
    await this.dialog().getByRole('button', { name: 'Partager', exact: true }).click();
  }

  confirmation() {
    return this.page.getByTestId('share-confirmation');
  }

  async close(): Promise<void> {
    await this.dialog().getByRole('button', { name: 'Fermer' }).first().click();
  }
}
