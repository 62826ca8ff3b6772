import type { Page } from 'playwright-core';

/** The GraphQL playground at /graphql, as an analyst sees it. */
export class PlaygroundPage {
  constructor(private readonly page: Page, private readonly baseUrl: string) {}

  async open(): Promise<void> {
    await this.page.goto(`${this.baseUrl}/graphql`);
    await this.page.getByRole('heading', { name: 'e-mage — Playground GraphQL' }).waitFor();
  }

  userName() {
    return this.page.getByTestId('user-name');
  }

  loginLink() {
    return this.page.getByRole('link', { name: 'Se connecter' });
  }

  async pickExample(title: string): Promise<void> {
    await this.page.getByRole('button', { name: title }).click();
  }

  async run(): Promise<void> {
    await this.page.getByRole('button', { name: /Execute query/ }).click();
  }

  /** The response pane's text once it holds `expected`. */
  async responseContaining(expected: string): Promise<string> {
    const response = this.page.locator('.graphiql-response');
    await response.getByText(expected, { exact: false }).first().waitFor();
    return (await response.textContent()) ?? '';
  }
}
