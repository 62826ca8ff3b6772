import type { Page } from 'playwright-core';

/** The dashboard (guide §3): the physician's patients and the name filter. */
export class DashboardPage {
  constructor(private readonly page: Page, private readonly baseUrl: string) {}

  async open(): Promise<void> {
    await this.page.goto(`${this.baseUrl}/`);
    await this.heading().waitFor();
  }

  heading() {
    return this.page.getByRole('heading', { name: 'Tableau de bord' });
  }

  filterInput() {
    return this.page.getByLabel('Rechercher un patient');
  }

  async search(text: string): Promise<void> {
    await this.filterInput().fill(text);
    await this.page.getByRole('button', { name: 'Rechercher', exact: true }).click();
  }

  rows() {
    return this.page.getByTestId('patient-row');
  }

  row(name: string) {
    return this.rows().filter({ hasText: name });
  }

  emptyState() {
    return this.page.getByTestId('dashboard-empty');
  }

  async openPatient(name: string): Promise<void> {
    await this.page.getByRole('link', { name }).click();
  }
}
