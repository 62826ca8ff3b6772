import type { Locator, Page } from 'playwright-core';
import { ViewerPage } from './viewer.page.js';

/**
 * The viewer's layouts and comparison (guide §5.2): each viewport is a pane
 * (`.emv-pane[data-pane=N]`) whose data-* attributes say what it shows — series, image index,
 * window/level, renders — and whose bottom-left overlay reads « Im x/y ».
 */
export class ComparisonViewerPage extends ViewerPage {
  constructor(page: Page) {
    super(page);
  }

  pane(index: number): Locator {
    return this.root.locator(`.emv-pane[data-pane="${index}"]`);
  }

  panes(): Locator {
    return this.root.locator('.emv-pane');
  }

  async paneAttr(index: number, name: string): Promise<string | null> {
    return this.pane(index).getAttribute(`data-${name}`);
  }

  /** « Im x/y » of a pane's overlay. */
  async imageOverlay(index: number): Promise<string> {
    return (await this.pane(index).locator('.emv-ov-bl').innerText()).split('\n').find((l) => /^Im /.test(l)) ?? '';
  }

  layoutButton(name: RegExp): Locator {
    return this.page.getByRole('group', { name: 'Disposition' }).getByRole('button', { name });
  }

  async chooseLayout(layout: '1 × 1' | '1 × 2' | '2 × 2'): Promise<void> {
    await this.clickTool(this.layoutButton(new RegExp(`^Disposition ${layout.replace(/ /g, '\\s')}`)));
  }

  /**
   * Clicks a toolbar button; on a narrow viewer (a phone) the layout and comparison groups are in
   * the « Plus d'outils » menu, opened first.
   */
  async clickTool(button: Locator): Promise<void> {
    const more = this.root.locator('button.emv-more');
    if (!(await button.isVisible()) && (await more.isVisible())) await more.click();
    await button.click();
  }

  thumbnail(seriesUid: string): Locator {
    return this.root.locator(`button.emv-thumb[data-series-uid="${seriesUid}"]`);
  }

  /** Waits until pane `index` shows series `seriesUid` drawn (or its error). */
  async waitForPaneSeries(index: number, seriesUid: string): Promise<void> {
    await this.root.locator(`.emv-pane[data-pane="${index}"][data-series-uid="${seriesUid}"]`).waitFor();
    await this.waitForPaneDrawn(index);
  }

  /** Waits until pane `index` has drawn an image. */
  async waitForPaneDrawn(index: number): Promise<void> {
    await this.page.waitForFunction(
      ([sel]) => Number(document.querySelector<HTMLElement>(sel)?.dataset.renderedCount ?? 0) > 0,
      [`[data-testid="viewer"] .emv-pane[data-pane="${index}"]`] as const,
    );
  }

  /** Waits until pane `index`'s overlay reads `text` (« Im 4/8 »). */
  async waitForImageOverlay(index: number, text: string): Promise<void> {
    await this.pane(index).locator('.emv-ov-bl', { hasText: text }).waitFor();
  }

  async waitForPaneAttr(index: number, name: string, value: string): Promise<void> {
    await this.root.locator(`.emv-pane[data-pane="${index}"][data-${name}="${value}"]`).waitFor();
  }

  comparisonButton(name: string): Locator {
    return this.page.getByRole('group', { name: 'Comparaison' }).getByRole('button', { name, exact: true });
  }

  priorsPanel(): Locator {
    return this.page.getByTestId('viewer-priors');
  }
}
