import fs from 'node:fs/promises';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { repoRoot } from '../support/server.js';

export interface CanvasStats {
  /** Variance of the canvas luminance: 0 for a blank (uniform) canvas. */
  variance: number;
  /** FNV-1a of the RGBA bytes: equal hashes, equal pixels. */
  hash: string;
  width: number;
  height: number;
}

const ROOT = '[data-testid="viewer"]';

/**
 * The image viewer (guide §5.2) through its test hooks: the data-* attributes of
 * `[data-testid="viewer"]` say what it shows, and `data-rendered-count` grows on every draw, so
 * every wait below is on a render signal, never on time.
 */
export class ViewerPage {
  readonly root: Locator;
  readonly viewport: Locator;

  constructor(readonly page: Page) {
    this.root = page.locator(ROOT);
    this.viewport = page.getByTestId('viewport');
  }

  async waitForState(state: 'ready' | 'error'): Promise<void> {
    await this.page.locator(`${ROOT}[data-state="${state}"]`).waitFor();
  }

  async attr(name: string): Promise<string | null> {
    return this.root.getAttribute(`data-${name}`);
  }

  async renderedCount(): Promise<number> {
    return Number((await this.attr('rendered-count')) ?? 0);
  }

  /**
   * Waits until the viewer drew again after `before` renders and, when given, the data-* attribute
   * `changed.name` differs from `changed.from`.
   */
  async waitForRenderAfter(before: number, changed?: { name: string; from: string | null }): Promise<void> {
    await this.page.waitForFunction(
      ([sel, n, name, from]) => {
        const el = document.querySelector<HTMLElement>(sel);
        if (!el || Number(el.dataset.renderedCount) <= n) return false;
        return name === null || el.getAttribute(`data-${name}`) !== from;
      },
      [ROOT, before, changed?.name ?? null, changed?.from ?? null] as const,
    );
  }

  /** Selects a series by its thumbnail and waits until its first image is drawn or shown as unreadable. */
  async openSeries(seriesUid: string): Promise<void> {
    const before = await this.renderedCount();
    if ((await this.attr('series-uid')) === seriesUid) return;
    await this.page.locator(`button.emv-thumb[data-series-uid="${seriesUid}"]`).click();
    await this.page.waitForFunction(
      ([sel, uid, n]) => {
        const el = document.querySelector<HTMLElement>(sel);
        return el?.dataset.seriesUid === uid && (Number(el.dataset.renderedCount) > n || el.dataset.frameError !== undefined);
      },
      [ROOT, seriesUid, before] as const,
    );
  }

  /** Waits until every series' progress bar is full: the whole study is loaded. */
  async waitForWholeStudy(): Promise<void> {
    await this.page.waitForFunction((sel) => {
      const bars = Array.from(document.querySelectorAll(`${sel} .emv-thumb [role="progressbar"]`));
      return bars.length > 0 && bars.every((b) => b.getAttribute('aria-valuenow') === b.getAttribute('aria-valuemax'));
    }, ROOT);
  }

  /** Luminance variance and a hash of what the main canvas shows now. */
  async canvas(): Promise<CanvasStats> {
    return this.page.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="viewport"] canvas');
      const ctx = canvas?.getContext('2d');
      if (!canvas || !ctx) throw new Error('no viewer canvas');
      const { data, width, height } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      let sum = 0;
      let sumSq = 0;
      let h = 0x811c9dc5;
      for (let i = 0; i < data.length; i += 4) {
        const y = 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
        sum += y;
        sumSq += y * y;
      }
      for (let i = 0; i < data.length; i++) {
        h ^= data[i]!;
        h = Math.imul(h, 0x01000193);
      }
      const n = data.length / 4;
      return { variance: sumSq / n - (sum / n) ** 2, hash: (h >>> 0).toString(16), width, height };
    });
  }

  /** A left-button drag across the image (window/level with the default tool). */
  /** A left-button drag with the active tool: the tools are wired once the first image is shown (data-tools="ready"). */
  async drag(dx: number, dy: number): Promise<void> {
    await this.page.locator(`${ROOT}[data-tools="ready"]`).waitFor();
    const box = await this.viewport.boundingBox();
    if (!box) throw new Error('viewport not visible');
    const x = box.x + box.width / 2;
    const y = box.y + box.height / 2;
    await this.page.mouse.move(x, y);
    await this.page.mouse.down();
    await this.page.mouse.move(x + dx / 2, y + dy / 2, { steps: 4 });
    await this.page.mouse.move(x + dx, y + dy, { steps: 4 });
    await this.page.mouse.up();
  }

  /** Keyboard shortcuts apply while the focus is inside the viewer. */
  async press(key: string): Promise<void> {
    await this.viewport.focus();
    await this.page.keyboard.press(key);
  }

  toolbarButton(name: string | RegExp): Locator {
    return this.page.getByRole('toolbar').getByRole('button', { name });
  }

  /** The bottom-right overlay: "W/L …" and "Zoom …%". */
  async zoomOverlay(): Promise<string> {
    return (await this.page.locator('.emv-ov-br').innerText()).split('\n').find((l) => /zoom/i.test(l)) ?? '';
  }

  /** Saves the canvas alone (not the page) to e2e/artifacts. */
  async screenshotCanvas(name: string): Promise<void> {
    const dir = path.join(repoRoot, 'e2e', 'artifacts');
    await fs.mkdir(dir, { recursive: true });
    await this.viewport.locator('canvas').screenshot({ path: path.join(dir, `${name}.png`) });
  }
}
