import type { Image } from 'cornerstone-core';
import type { StackSeries } from '../dicomweb/studyModel';
import type { Translate } from '../i18n';
import { h } from './dom';

/** The drag-and-drop type of a thumbnail: its index in the viewer's series list. */
export const SERIES_DRAG_TYPE = 'application/x-emage-series';

/**
 * The series thumbnails: one button per series (click or Enter shows it in the active viewport;
 * dragged onto a viewport, shows it there), with its middle image and its loading progress.
 * A prior exam's series join the list under a heading naming the exam.
 */
export class SeriesStrip {
  readonly element: HTMLElement;
  private readonly buttons: HTMLButtonElement[] = [];

  constructor(
    private readonly t: Translate,
    private readonly onPick: (seriesIndex: number) => void,
  ) {
    this.element = h('nav', { class: 'emv-series', 'aria-label': t('series') });
  }

  clear(): void {
    this.element.replaceChildren();
    this.buttons.length = 0;
  }

  /** Adds `series`, the first at index `offset` of the viewer's list; under `heading` when given. */
  add(series: StackSeries[], offset: number, heading?: string): void {
    const dpr = Math.min(2, window.devicePixelRatio || 1);
    if (heading) this.element.append(h('h3', { class: 'emv-series-heading' }, heading));
    series.forEach((s, i) => {
      const index = offset + i;
      const canvas = h('canvas', { class: 'emv-thumb-canvas', width: 64 * dpr, height: 64 * dpr, 'aria-hidden': 'true' });
      const bar = h('div', { class: 'emv-progress-bar' });
      const progress = h(
        'div',
        {
          class: 'emv-progress',
          role: 'progressbar',
          'aria-valuemin': 0,
          'aria-valuemax': s.frames.length,
          'aria-valuenow': 0,
          'aria-label': this.t('loadingSeries', { done: 0, total: s.frames.length }),
        },
        bar,
      );
      const label = this.t('seriesLabel', { n: s.seriesNumber ?? i + 1, desc: s.description || s.modality || '—', count: s.frames.length });
      const button = h(
        'button',
        // The name is hidden text, not aria-label: the thumbnail's visible words differ from it,
        // which a speech-input user could not say (WCAG 2.5.3).
        { type: 'button', class: 'emv-thumb', 'data-series-uid': s.seriesUid, 'data-series-index': index, title: label, draggable: 'true' },
        h('span', { class: 'emv-sr-only' }, label),
        canvas,
        h('span', { class: 'emv-thumb-text', 'aria-hidden': 'true' }, `${s.modality} ${s.description}`.trim() || String(i + 1)),
        h('span', { class: 'emv-thumb-count', 'aria-hidden': 'true' }, String(s.frames.length)),
        progress,
      );
      button.addEventListener('click', () => this.onPick(index));
      button.addEventListener('dragstart', (e) => {
        e.dataTransfer?.setData(SERIES_DRAG_TYPE, String(index));
        if (e.dataTransfer) e.dataTransfer.effectAllowed = 'copy';
      });
      this.buttons[index] = button;
      this.element.append(button);
    });
  }

  /** Marks the series the active viewport shows. */
  setCurrent(seriesIndex: number): void {
    this.buttons.forEach((b, i) => b.setAttribute('aria-current', i === seriesIndex ? 'true' : 'false'));
  }

  markError(seriesIndex: number): void {
    this.buttons[seriesIndex]?.classList.add('emv-thumb-has-error');
  }

  /** Draws a series' middle image on its thumbnail (`render` is Cornerstone's renderToCanvas). */
  canvasOf(seriesIndex: number): HTMLCanvasElement | undefined {
    return this.buttons[seriesIndex]?.querySelector('canvas') ?? undefined;
  }

  drawThumbnail(seriesIndex: number, image: Image, render: (canvas: HTMLCanvasElement, image: Image) => void): void {
    const canvas = this.canvasOf(seriesIndex);
    if (canvas) render(canvas, image);
  }

  updateProgress(seriesIndex: number, done: number, total: number): void {
    const progress = this.buttons[seriesIndex]?.querySelector<HTMLElement>('.emv-progress');
    const bar = progress?.firstElementChild as HTMLElement | null | undefined;
    if (!progress || !bar) return;
    progress.setAttribute('aria-valuenow', String(done));
    progress.setAttribute('aria-label', this.t('loadingSeries', { done, total }));
    bar.style.width = `${total ? (100 * done) / total : 0}%`;
    progress.classList.toggle('emv-progress-done', done >= total);
  }
}
