import type { Page } from 'playwright-core';

/** The public share page (guide §5.3) as the recipient sees it, without any account. */
export class SharePage {
  constructor(readonly page: Page) {}

  /** Follows the e-mailed link, which redirects to the token-less share page. */
  async open(link: string): Promise<void> {
    await this.page.goto(link);
  }

  root() {
    return this.page.getByTestId('share-page');
  }

  examTitle() {
    return this.page.getByTestId('share-exam-title');
  }

  patient() {
    return this.page.getByTestId('share-patient');
  }

  /** « Partagé par Dr … »: the physician who shared. */
  sharedBy() {
    return this.page.getByTestId('share-from').getByRole('heading');
  }

  comment() {
    return this.page.getByTestId('share-comment');
  }

  expiry() {
    return this.page.getByTestId('share-expiry');
  }

  reportFrame() {
    return this.page.getByTestId('share-report').first();
  }

  support() {
    return this.page.getByTestId('share-support');
  }

  /** The viewer micro-frontend inside the page, once its first image is drawn. */
  async waitForImages(): Promise<void> {
    await this.page.locator('[data-testid="share-viewer"] [data-testid="viewer"][data-state="ready"]').waitFor({ timeout: 45_000 });
  }

  /** The message that replaces the exam when the link is refused (server page or share page). */
  refusal() {
    return this.page.getByTestId('share-refusal');
  }
}
