import type { Page } from 'playwright-core';

/** « Mes partages »: the shares a physician made, their openings, and revocation. */
export class SharesPage {
  constructor(private readonly page: Page, private readonly baseUrl: string) {}

  async open(): Promise<void> {
    await this.page.goto(`${this.baseUrl}/mes-partages`);
    await this.page.getByRole('heading', { name: 'Mes partages' }).waitFor();
  }

  row(recipient: string) {
    return this.page.getByTestId('share-row').filter({ hasText: recipient });
  }

  /** The Patient column: whose exam was shared. */
  patient(recipient: string) {
    return this.row(recipient).getByTestId('share-patient');
  }

  async revoke(recipient: string): Promise<void> {
    await this.row(recipient).getByRole('button', { name: /^Révoquer le partage avec/ }).click();
    await this.page.getByRole('alertdialog').getByRole('button', { name: 'Révoquer', exact: true }).click();
    await this.page.locator('[data-testid="share-row"][data-status="REVOKED"]').filter({ hasText: recipient }).waitFor();
  }
}
