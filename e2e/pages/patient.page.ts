import type { Page } from 'playwright-core';

/** A patient record (guide §5): information, results, and the cross that closes it (§6). */
export class PatientRecordPage {
  constructor(private readonly page: Page) {}

  title() {
    return this.page.getByTestId('record-title');
  }

  async showInformation(): Promise<void> {
    await this.page.getByRole('button', { name: 'Information patient' }).click();
    await this.page.getByTestId('information').waitFor();
  }

  async showResults(): Promise<void> {
    await this.page.getByRole('button', { name: 'Résultats' }).click();
    await this.page.getByTestId('results').waitFor();
  }

  administrativeRecords() {
    return this.page.getByTestId('administrative-record');
  }

  resultRows() {
    return this.page.getByTestId('result-row');
  }

  async openDocument(title: string): Promise<void> {
    await this.page.getByRole('link', { name: title, exact: true }).first().click();
  }

  async close(): Promise<void> {
    await this.page.getByRole('button', { name: 'Fermer le dossier' }).click();
  }
}
