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

  /** Runs the editor's query once GraphiQL has the schema, and waits for the server's answer. */
  async run(): Promise<void> {
    const answered = this.page.waitForResponse(
      (r) => r.url().endsWith('/graphql') && r.request().method() === 'POST' && !(r.request().postData() ?? '').includes('IntrospectionQuery'),
    );
    await this.page.getByRole('button', { name: /Execute query/ }).click();
    await answered;
  }

  /** The response pane's text once it holds `expected` (the pane may be narrow: text, not visibility). */
  async responseContaining(expected: string): Promise<string> {
    await this.page.waitForFunction(
      (text) => document.querySelector('.graphiql-response')?.textContent?.includes(text) ?? false,
      expected,
    );
    return (await this.page.locator('.graphiql-response').textContent()) ?? '';
  }
}
