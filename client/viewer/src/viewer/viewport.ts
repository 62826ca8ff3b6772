import type { Image, Viewport as CsViewport, VOI } from 'cornerstone-core';
import { getString, Tag } from '../dicomweb/dicomJson';
import type { StackSeries } from '../dicomweb/studyModel';
import { formatDicomDate, formatPersonName, type Translate } from '../i18n';
import type { Locale } from '../types';
import { h } from './dom';
import type { Engine } from './engine-loader';
import { fileWindow } from './voi';
import { ViewportErrorState, type FrameFailure } from './viewport-error';

type Cornerstone = Engine['cornerstone'];

/** What a viewport tells the viewer that holds it. */
export interface ViewportEvents {
  /** The image index changed (scrolling, a new series): before its image is loaded. */
  onPosition(viewport: Viewport): void;
  /** Cornerstone drew this viewport (a new image, window/level, zoom…). */
  onRendered(viewport: Viewport): void;
}

/** How a showImage() ended: drawn, failed (the caller decides what to show), or overtaken by a later call. */
export type ShowResult = { kind: 'shown'; image: Image } | { kind: 'failed'; error: unknown } | { kind: 'stale' };

/**
 * The loader accepts a native frame shorter than Rows × Columns and renders garbage from it;
 * a truncated frame must show as unreadable instead.
 */
export function assertComplete(image: Image): void {
  if (image.getPixelData().length < image.rows * image.columns) {
    throw new Error(`incomplete frame ${image.imageId}`);
  }
}

/** The series' initial window for a Cornerstone image (voi.ts). */
export function fileVoi(image: Image): VOI {
  return fileWindow(image);
}

/**
 * One image pane of the viewer: one Cornerstone enabled element showing one series at a time,
 * with its corner overlays, its "unreadable image" state and its own view (window/level, zoom,
 * flips). It knows nothing of toolbars, thumbnails or layouts: the viewer (viewer.ts) decides
 * which series it shows and forwards user actions to it.
 */
export class Viewport {
  /** The pane: the stage the layout grid places, with the attributes tests and CSS read. */
  readonly pane: HTMLDivElement;
  /** Cornerstone's enabled element. */
  readonly element: HTMLDivElement;
  readonly frameError: ViewportErrorState;
  private readonly overlay: Record<'tl' | 'tr' | 'bl' | 'br', HTMLDivElement>;
  private cs: Cornerstone | undefined;
  private readonly cleanups: Array<() => void> = [];
  /** The series shown, and its index in the viewer's series list. */
  series: StackSeries | undefined;
  seriesIndex = -1;
  imageIndex = 0;
  renderedCount = 0;
  private displayToken = 0;

  constructor(
    readonly index: number,
    private readonly t: Translate,
    private readonly locale: Locale | undefined,
    private readonly events: ViewportEvents,
  ) {
    this.overlay = {
      tl: h('div', { class: 'emv-ov emv-ov-tl' }),
      tr: h('div', { class: 'emv-ov emv-ov-tr' }),
      bl: h('div', { class: 'emv-ov emv-ov-bl' }),
      br: h('div', { class: 'emv-ov emv-ov-br' }),
    };
    this.element = h('div', {
      class: 'emv-viewport',
      'data-testid': 'viewport',
      tabindex: 0,
      role: 'img',
      'aria-label': t('image'),
    });
    this.frameError = new ViewportErrorState(this.element, t);
    this.pane = h(
      'div',
      { class: 'emv-stage emv-pane', 'data-pane': index, 'data-rendered-count': 0 },
      this.element,
      h('div', { class: 'emv-overlays', 'aria-hidden': 'true' }, ...Object.values(this.overlay)),
      this.frameError.element,
    );
  }

  get enabled(): boolean {
    return this.cs !== undefined;
  }

  /** Cornerstone takes the element over; `wheel` scrolls this viewport. */
  enable(cs: Cornerstone, onWheel: (viewport: Viewport, e: WheelEvent) => void): void {
    if (this.cs) return;
    cs.enable(this.element);
    this.cs = cs;
    const rendered = () => this.onRendered();
    const wheel = (e: WheelEvent) => onWheel(this, e);
    this.element.addEventListener(cs.EVENTS.IMAGE_RENDERED, rendered);
    this.element.addEventListener('wheel', wheel, { passive: false });
    const resize = new ResizeObserver(() => {
      if (this.cs) this.cs.resize(this.element);
    });
    resize.observe(this.element);
    this.cleanups.push(() => {
      this.element.removeEventListener(cs.EVENTS.IMAGE_RENDERED, rendered);
      this.element.removeEventListener('wheel', wheel);
      resize.disconnect();
    });
  }

  /** Cornerstone lets the element go (destroy, refused access); the pane stays until removed. */
  disable(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    if (!this.cs) return;
    this.cs.disable(this.element);
    this.cs = undefined;
  }

  destroy(): void {
    this.displayToken++;
    this.disable();
    this.pane.remove();
  }

  setActive(active: boolean): void {
    this.pane.classList.toggle('emv-pane-active', active);
    this.pane.dataset.active = active ? 'true' : 'false';
  }

  /**
   * Shows `series` (index `seriesIndex` in the viewer's list) from image `start` (its middle one
   * by default), without loading it: the caller then calls showImage(…, true).
   * False if it already shows that series.
   */
  setSeries(series: StackSeries, seriesIndex: number, start?: number): boolean {
    if (seriesIndex === this.seriesIndex) return false;
    this.series = series;
    this.seriesIndex = seriesIndex;
    this.pane.dataset.seriesUid = series.seriesUid;
    this.pane.dataset.imageCount = String(series.frames.length);
    this.displayToken++;
    this.showPosition(start ?? Math.floor((series.frames.length - 1) / 2));
    return true;
  }

  /** The image index `index` would show (clamped to the series). */
  clamp(index: number): number {
    const n = this.series?.frames.length ?? 1;
    return Math.min(n - 1, Math.max(0, index));
  }

  private showPosition(index: number): void {
    this.imageIndex = index;
    this.pane.dataset.imageIndex = String(index);
    this.updateOverlayText();
    this.events.onPosition(this);
  }

  /**
   * Loads and draws image `index` of the series. A new series (or a viewport with no image yet)
   * starts from its default view: the file's VOI, fitted to the window.
   */
  async showImage(index: number, newSeries = false): Promise<ShowResult> {
    const s = this.series;
    const cs = this.cs;
    if (!s || !cs) return { kind: 'stale' };
    const clamped = this.clamp(index);
    const frame = s.frames[clamped];
    if (!frame) return { kind: 'stale' };
    const token = ++this.displayToken;
    this.showPosition(clamped);
    let image: Image;
    try {
      image = await cs.loadAndCacheImage(frame.imageId, { requestType: 'interaction' });
      assertComplete(image);
    } catch (error) {
      if (token !== this.displayToken) return { kind: 'stale' };
      return { kind: 'failed', error };
    }
    if (token !== this.displayToken || this.cs !== cs) return { kind: 'stale' };
    this.frameError.hide();
    const current = cs.getEnabledElement(this.element);
    if (newSeries || !current.image) {
      const initial = cs.getDefaultViewportForImage(this.element, image);
      if (!image.color) initial.voi = fileVoi(image);
      cs.displayImage(this.element, image, initial);
    } else {
      cs.displayImage(this.element, image);
    }
    return { kind: 'shown', image };
  }

  /** True when image `imageId` is already in Cornerstone's cache (drawn without a request). */
  isCached(imageId: string): boolean {
    return !!this.cs?.imageCache.getImageLoadObject(imageId);
  }

  /** The frame that cannot be drawn is said so, and the previous image leaves the screen. */
  showError(failure: FrameFailure): void {
    const s = this.series;
    if (!s) return;
    this.frameError.show(failure, { desc: s.description || s.modality || s.seriesUid, i: this.imageIndex + 1, n: s.frames.length }, () => this.clearImage());
  }

  /**
   * Takes the drawn image off the viewport: its canvas emptied and Cornerstone's image forgotten,
   * so no later redraw (resize, window/level) can bring it back under another series' label.
   */
  clearImage(): void {
    if (!this.cs) return;
    const enabled = this.cs.getEnabledElement(this.element);
    enabled.image = undefined;
    const canvas = enabled.canvas;
    const context = canvas.getContext('2d');
    context?.setTransform(1, 0, 0, 1, 0, 0);
    context?.clearRect(0, 0, canvas.width, canvas.height);
  }

  image(): Image | undefined {
    return this.cs?.getImage(this.element);
  }

  view(): CsViewport | undefined {
    return this.cs && this.image() ? this.cs.getViewport(this.element) : undefined;
  }

  /** Changes this viewport's view (window/level, zoom, flips) and redraws it. */
  updateView(change: (vp: CsViewport) => void): void {
    const vp = this.view();
    if (!vp || !this.cs) return;
    change(vp);
    this.cs.setViewport(this.element, vp);
  }

  fit(): void {
    if (this.cs && this.image()) this.cs.fitToWindow(this.element);
  }

  reset(): void {
    if (this.cs && this.image()) this.cs.reset(this.element);
  }

  private onRendered(): void {
    this.renderedCount++;
    this.pane.dataset.renderedCount = String(this.renderedCount);
    const vp = this.view();
    if (vp) {
      const w = Math.round(vp.voi.windowWidth);
      const l = Math.round(vp.voi.windowCenter);
      this.pane.dataset.wl = `${w}/${l}`;
      this.overlay.br.replaceChildren(h('div', {}, this.t('wl', { w, l })), h('div', {}, this.t('zoomValue', { z: Math.round(vp.scale * 100) })));
    }
    this.events.onRendered(this);
  }

  private updateOverlayText(): void {
    const s = this.series;
    if (!s) return;
    const ds = s.frames[this.imageIndex]?.instance ?? s.header;
    const lines = (...values: string[]) => values.filter(Boolean).map((v) => h('div', {}, v));
    this.overlay.tl.replaceChildren(
      ...lines(formatPersonName(getString(ds, Tag.PatientName)), formatDicomDate(getString(ds, Tag.PatientBirthDate), this.locale)),
    );
    this.overlay.tr.replaceChildren(...lines(formatDicomDate(getString(ds, Tag.StudyDate), this.locale), getString(ds, Tag.StudyDescription) ?? ''));
    this.overlay.bl.replaceChildren(...lines(s.description, this.t('imageOf', { i: this.imageIndex + 1, n: s.frames.length })));
  }
}
