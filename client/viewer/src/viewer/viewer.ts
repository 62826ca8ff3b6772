import type { RuntimeClient } from '../cornerstone/runtime';
import { UNCOMPRESSED_TRANSFER_SYNTAXES } from '../cornerstone/main-thread-decode';
import type { Tools } from '../cornerstone/tools';
import type { Viewport as CsViewport } from 'cornerstone-core';
import { codeForStatus, DicomWebClient, DicomWebError } from '../dicomweb/client';
import { getString, Tag, type DicomJson } from '../dicomweb/dicomJson';
import { clampFps, type Frame, type StackSeries } from '../dicomweb/studyModel';
import { createTranslator, type Translate } from '../i18n';
import type { PriorStudy, ViewerErrorCode, ViewerOptions } from '../types';
import { h, icon } from './dom';
import { LAYOUTS, layoutGroup, type LayoutId } from './layout';
import { HelpDialog } from './help';
import { loadEngine, preloadEngine, type Engine } from './engine-loader';
import type { Prefetcher } from './prefetch';
import { decodePreview, drawPreview, fetchFrame, previewable, type FetchedFrame } from './preview';
import { watchActivity } from './activity';
import { PriorsPanel } from './priors-panel';
import { SERIES_DRAG_TYPE, SeriesStrip } from './series-strip';
import { SliceIndex } from './sync';
import { studySeries } from './study-series';
import { buildToolbar, comparisonGroup, PRESETS, type MouseTool, type Toolbar } from './toolbar';
import { compactToolbar } from './compact-toolbar';
import { MEASURE_KEYS, touchFirst, ViewerMeasurements } from './tools/viewer-measurements';
import { assertComplete, fileVoi, Viewport } from './viewport';
import type { FrameFailure } from './viewport-error';

/**
 * Cornerstone and the viewer's code around it live in viewer-engine.js, run once a viewer needs
 * them (engine-loader.ts): until then these bindings are unset, and every path that uses them
 * runs only once `enabled` is true, which follows useEngine().
 */
let engine: Engine;
let cornerstone: Engine['cornerstone'];
let cornerstoneWADOImageLoader: Engine['cornerstoneWADOImageLoader'];

function useEngine(loaded: Engine): void {
  engine = loaded;
  cornerstone = loaded.cornerstone;
  cornerstoneWADOImageLoader = loaded.cornerstoneWADOImageLoader;
}

type State = 'loading' | 'ready' | 'error';

/** Background work waits for the first image's paint at most this long (a hidden tab never paints). */
const FIRST_IMAGE_PAINT_TIMEOUT_MS = 500;
/** The host hears of the user's input in the viewer at most this often (ViewerOptions.onActivity). */
const ACTIVITY_INTERVAL_MS = 5_000;

function statusOf(error: unknown): number | undefined {
  if (error instanceof DicomWebError) return error.status;
  if (error && typeof error === 'object') {
    const e = error as { status?: unknown; request?: { status?: unknown } };
    if (typeof e.status === 'number') return e.status;
    if (typeof e.request?.status === 'number') return e.request.status;
  }
  return undefined;
}

/** Why a frame failed, for the viewport's message (an undrawable frame comes from cornerstone/decode-check.ts). */
function failureOf(error: unknown): FrameFailure {
  const status = statusOf(error);
  if (status !== undefined && status !== 200) return 'network';
  if (error instanceof Error && error.name === 'UndrawableFrameError') {
    return (error as Error & { reason?: string }).reason === 'palette' ? 'palette' : 'photometric';
  }
  return 'decode';
}

/**
 * One mounted viewer: the container of its viewports (viewport.ts), with the toolbar, the series
 * strip, the keyboard, cine and background loading. It owns its DOM, its requests and its
 * listeners, and gives every one of them back in destroy(). Toolbar actions, keys, cine and the
 * slider act on the active viewport; the root element's data-* attributes describe that one.
 */
export class Viewer implements RuntimeClient {
  private readonly t: Translate;
  private readonly abort = new AbortController();
  private readonly xhrs = new Set<XMLHttpRequest>();
  private readonly cleanups: Array<() => void> = [];
  private readonly root: HTMLDivElement;
  /** The viewports' grid (one pane per viewport of the layout). */
  private readonly grid: HTMLDivElement;
  private readonly slider: HTMLInputElement;
  private readonly sliderOutput: HTMLOutputElement;
  private readonly strip: SeriesStrip;
  private readonly message: HTMLDivElement;
  private readonly help: HelpDialog;
  private readonly toolbar: Toolbar;
  /** Measurement tools, their list and calibration notices, touch gestures (tools/). */
  private readonly measurements: ViewerMeasurements;
  private readonly viewports: Viewport[] = [];
  private activeIndex = 0;
  private layout: LayoutId = '1x1';
  /** The series each grid cell showed, kept when a smaller layout removes the cell. */
  private readonly cellSeries: number[] = [];
  private readonly priorsPanel: PriorsPanel;
  /** Studies loaded for comparison (their series appended to `series`), by study UID. */
  private readonly openedPriors = new Set<string>();
  private readonly slices = new SliceIndex();
  private syncScroll = false;
  private linkWl = false;
  /** True while the viewer moves viewports to follow another one (no echo back). */
  private following = false;
  private series: StackSeries[] = [];
  private renderedCount = 0;
  private enabled = false;
  private destroyed = false;
  private prefetcher: Prefetcher | undefined;
  /** Cornerstone's tools, once loaded and wired to the viewports (after the first image). */
  private tools: Tools | undefined;
  /** The metadata request the constructor sent, until load() takes it. */
  private pendingMetadata: Promise<DicomJson[]> | undefined;
  /** True once the first image is drawn and painted (by the preview or Cornerstone), or failed. */
  private firstImageShown = false;
  /**
   * What waits for the first image (thumbnails, background loading, tools); null once it is shown
   * and the host's holdAfterFirstImage let it go.
   */
  private firstImageWaiters: Array<() => void> | null = [];
  /** The first image as the viewer drew it before Cornerstone, until Cornerstone draws over it. */
  private preview: HTMLCanvasElement | undefined;
  /** True once this instance holds the engine's runtime (acquireRuntime), to give it back. */
  private runtimeAcquired = false;
  private readonly failed = new Map<string, Set<number>>();
  private readonly decodeReported = new Set<string>();
  private ownImageIds = new Set<string>();
  private cineTimer: number | undefined;
  private cineBusy = false;
  /** One finger scrolls the slices by default on a touch screen (ADR 0131), else windowing. */
  private activeTool: MouseTool = touchFirst() ? 'Scroll' : 'Wwwc';
  private accessErrorShown = false;

  constructor(
    private readonly host: HTMLElement,
    private readonly options: ViewerOptions,
    /** Settles once the viewer's stylesheet is loaded: before that, the viewport has no size. */
    private readonly styled: Promise<void>,
  ) {
    // The study's metadata is the first thing on the wire, before the page is built (unless the
    // host page already asked for it).
    this.pendingMetadata = options.metadata ? this.hostMetadata(options.metadata) : this.fetchMetadata();
    this.t = createTranslator(options.locale);
    const t = this.t;
    this.slider = h('input', { type: 'range', class: 'emv-slider', min: 0, max: 0, step: 1, value: 0, 'aria-label': t('image') });
    this.sliderOutput = h('output', { class: 'emv-slider-out', 'aria-live': 'off' });
    this.strip = new SeriesStrip(t, (index) => this.selectSeries(index));
    this.message = h('div', { class: 'emv-message', role: 'status' });
    this.help = new HelpDialog(t);
    this.toolbar = buildToolbar(t);
    this.measurements = new ViewerMeasurements(t, options.locale === 'en' ? 'en' : 'fr', (imageId) => this.instanceOf(imageId));
    this.toolbar.append(this.measurements.toolbarGroup, layoutGroup(t), comparisonGroup(t));
    this.grid = h('div', { class: 'emv-grid', 'data-layout': '1x1' });
    this.priorsPanel = new PriorsPanel(t, options.locale, (prior) => void this.openPrior(prior));
    if (options.priors) this.setPriors(options.priors);
    this.addViewport();

    const main = h(
      'div',
      { class: 'emv-main' },
      this.grid,
      this.measurements.panel.element,
      h('div', { class: 'emv-scroll' }, h('label', { class: 'emv-scroll-label' }, h('span', {}, t('image')), this.slider), this.sliderOutput),
    );
    this.root = h(
      'div',
      {
        class: 'emv',
        'data-testid': 'viewer',
        'data-state': 'loading',
        'data-image-index': 0,
        'data-image-count': 0,
        'data-rendered-count': 0,
        'data-overlays': 'on',
        'data-layout': '1x1',
        'data-sync-scroll': 'off',
        'data-link-wl': 'off',
        role: 'region',
        'aria-label': t('viewerLabel'),
        lang: options.locale === 'en' ? 'en' : 'fr',
        tabindex: -1,
      },
      this.toolbar.element,
      h('div', { class: 'emv-body' }, this.strip.element, main, this.priorsPanel.element),
      this.message,
      this.help.element,
    );
    host.append(this.root);
    this.bindUi();
    this.cleanups.push(compactToolbar(this.root, this.toolbar.element, t));
    this.setState('loading');
    this.showMessage(t('loading'), false);
    if (options.debug) (window as unknown as { __emageViewer?: unknown }).__emageViewer = this.debugApi();
    void this.load();
  }

  // ---- RuntimeClient -------------------------------------------------------------------------

  ownsUrl(url: string): boolean {
    return this.ownImageIds.has(`wadors:${url}`);
  }

  requestHeaders(): Record<string, string> {
    return { ...(this.options.headers ?? {}) };
  }

  trackXhr(xhr: XMLHttpRequest): void {
    this.xhrs.add(xhr);
  }

  untrackXhr(xhr: XMLHttpRequest): void {
    this.xhrs.delete(xhr);
  }

  // ---- Viewports -----------------------------------------------------------------------------

  /** The viewport the toolbar, the keys, cine and the slider act on. */
  private get active(): Viewport {
    return this.viewports[this.activeIndex] ?? (this.viewports[0] as Viewport);
  }

  /** The first viewport: the one the viewer opens on, where the preview is drawn. */
  private get primary(): Viewport {
    return this.viewports[0] as Viewport;
  }

  private addViewport(): Viewport {
    const vp = new Viewport(this.viewports.length, this.t, this.options.locale, {
      onPosition: (v) => this.onPosition(v),
      onRendered: (v) => this.onRendered(v),
    });
    this.viewports.push(vp);
    this.grid.append(vp.pane);
    vp.setActive(vp.index === this.activeIndex);
    // Focus on pointer down so keyboard shortcuts work right after a click; a focused viewport
    // (pointer or Tab) becomes the active one.
    vp.element.addEventListener('pointerdown', () => vp.element.focus({ preventScroll: true }));
    vp.element.addEventListener('focus', () => this.activate(vp));
    // A thumbnail dropped on a viewport shows its series there.
    vp.pane.addEventListener('dragover', (e) => {
      if (!e.dataTransfer?.types.includes(SERIES_DRAG_TYPE)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    });
    vp.pane.addEventListener('drop', (e) => {
      const index = Number.parseInt(e.dataTransfer?.getData(SERIES_DRAG_TYPE) ?? '', 10);
      if (!Number.isInteger(index)) return;
      e.preventDefault();
      this.activate(vp);
      this.selectSeries(index);
    });
    this.cleanups.push(
      this.measurements.attach(vp.pane, vp.element, {
        scrolling: () => this.activeTool === 'Scroll',
        step: (delta) => {
          this.activate(vp);
          this.step(delta, vp);
        },
        reset: () => {
          this.activate(vp);
          this.doAction('reset');
        },
      }),
    );
    if (this.enabled) this.enableViewport(vp);
    return vp;
  }

  /**
   * Shows `id`'s grid. New cells show the series they showed before, else the series after the
   * active one's, so that 1 × 2 on a study of two series puts them side by side; removed cells
   * give their Cornerstone element back (their series is remembered).
   */
  setLayout(id: LayoutId): void {
    const count = LAYOUTS[id].count;
    this.layout = id;
    this.grid.dataset.layout = id;
    this.root.dataset.layout = id;
    for (const button of this.toolbar.element.querySelectorAll<HTMLButtonElement>('[data-action="layout"]')) {
      button.setAttribute('aria-pressed', button.dataset.layout === id ? 'true' : 'false');
    }
    while (this.viewports.length > count) {
      const vp = this.viewports.pop() as Viewport;
      this.cellSeries[vp.index] = vp.seriesIndex;
      vp.destroy();
    }
    if (this.activeIndex >= count) this.activate(this.primary);
    const multiple = count > 1;
    this.viewports.forEach((vp) => vp.element.setAttribute('aria-label', multiple ? this.t('viewportN', { n: vp.index + 1 }) : this.t('image')));
    while (this.viewports.length < count) {
      const vp = this.addViewport();
      vp.element.setAttribute('aria-label', this.t('viewportN', { n: vp.index + 1 }));
      if (this.series.length === 0) continue;
      const remembered = this.cellSeries[vp.index];
      const index = remembered !== undefined && this.series[remembered] ? remembered : (this.active.seriesIndex + vp.index) % this.series.length;
      this.assign(vp, index);
      void this.showImageIn(vp, this.followIndex(vp) ?? vp.imageIndex, true);
    }
  }

  // ---- Comparison ----------------------------------------------------------------------------

  setPriors(priors: readonly PriorStudy[]): void {
    // The exam on screen is not its own prior, whatever the host sent.
    this.priorsPanel.setPriors(priors.filter((p) => p.studyUid !== this.options.studyUid));
  }

  /**
   * Loads another exam's series into the strip (under its title) and shows the one most like the
   * active series (same modality, else its first) in the cell beside the active one.
   */
  private async openPrior(prior: PriorStudy): Promise<void> {
    if (this.openedPriors.has(prior.studyUid) || !this.enabled) return;
    this.openedPriors.add(prior.studyUid);
    this.priorsPanel.setState(prior.studyUid, 'loading');
    let stacks: StackSeries[];
    try {
      stacks = await this.readStudy(prior.studyUid, this.fetchMetadata(prior.studyUid));
    } catch (error) {
      if (this.destroyed) return;
      this.openedPriors.delete(prior.studyUid);
      this.priorsPanel.setState(prior.studyUid, 'failed');
      const status = statusOf(error);
      if (status === 401) this.refuseAccess(status);
      return;
    }
    if (this.destroyed || !this.enabled) return;
    this.priorsPanel.setState(prior.studyUid, stacks.length > 0 ? 'loaded' : 'failed');
    if (stacks.length === 0) return;
    // On a narrow viewer the panel covers the images it just opened.
    if (this.root.classList.contains('emv-compact') && this.priorsPanel.shown) this.doAction('priors');
    const offset = this.series.length;
    this.series.push(...stacks);
    this.registerMetadata(stacks);
    this.strip.add(stacks, offset, `${prior.title} — ${this.priorsPanel.dateOf(prior)}`);
    this.prefetcher?.grow();
    // The queue is rebuilt around the active image, the new series included.
    this.prefetcher?.focus(this.active.seriesIndex, this.active.imageIndex);
    this.loadThumbnails(offset);
    const modality = this.active.series?.modality;
    const pick = Math.max(0, stacks.findIndex((s) => s.modality === modality));
    if (this.layout === '1x1') this.setLayout('1x2');
    const target = this.viewports[(this.activeIndex + 1) % this.viewports.length] as Viewport;
    if (this.assign(target, offset + pick)) void this.showImageIn(target, this.followIndex(target) ?? target.imageIndex, true);
  }

  /** Where `vp` should be to follow the active viewport's slice, when scrolling is synchronised. */
  private followIndex(vp: Viewport): number | undefined {
    const source = this.active;
    if (!this.syncScroll || vp === source || !source.series || !vp.series) return undefined;
    return this.slices.follow(source.series, source.imageIndex, vp.series);
  }

  /** The other viewports move to the active one's slice position (scroll sync). */
  private followScroll(source: Viewport): void {
    if (!this.syncScroll || this.following || !source.series) return;
    this.following = true;
    try {
      for (const vp of this.viewports) {
        if (vp === source || !vp.series || !vp.enabled) continue;
        const index = this.slices.follow(source.series, source.imageIndex, vp.series);
        if (index !== undefined && index !== vp.imageIndex) void this.showImageIn(vp, index);
      }
    } finally {
      this.following = false;
    }
  }

  /** The other grayscale viewports take the active one's window/level (linked W/L). */
  private followWindow(source: Viewport): void {
    if (!this.linkWl || this.following) return;
    const voi = source.view()?.voi;
    if (!voi || source.image()?.color) return;
    this.following = true;
    try {
      for (const vp of this.viewports) {
        if (vp === source || vp.image()?.color) continue;
        const own = vp.view()?.voi;
        if (!own || (own.windowWidth === voi.windowWidth && own.windowCenter === voi.windowCenter)) continue;
        vp.updateView((v) => (v.voi = { windowWidth: voi.windowWidth, windowCenter: voi.windowCenter }));
      }
    } finally {
      this.following = false;
    }
  }

  private toggleSync(kind: 'syncScroll' | 'linkWl'): void {
    const on = !this[kind];
    this[kind] = on;
    this.toolbar.setPressed(kind, on);
    this.root.dataset[kind] = on ? 'on' : 'off';
    // Switched on, the others join the active viewport at once.
    if (on && kind === 'syncScroll') this.followScroll(this.active);
    if (on && kind === 'linkWl') this.followWindow(this.active);
  }

  private enableViewport(vp: Viewport): void {
    vp.enable(cornerstone, this.onWheel);
    if (this.tools) this.addToolsTo(vp, this.tools);
  }

  /** The DICOM attributes of one of this viewer's images (the measurements' spacing and modality). */
  private instanceOf(imageId: string): DicomJson | undefined {
    for (const s of this.series) for (const f of s.frames) if (f.imageId === imageId) return f.instance;
    return undefined;
  }

  /** Makes `vp` the viewport the toolbar, keys and slider act on. */
  private activate(vp: Viewport): void {
    if (this.viewports[this.activeIndex] === vp) return;
    this.stopCine();
    this.activeIndex = vp.index;
    for (const v of this.viewports) v.setActive(v === vp);
    this.showActiveSeries();
    this.measurements.rendered(vp.element, vp.series?.frames[vp.imageIndex]?.instance, true, this.tools);
    this.syncToggleButtons();
  }

  /** The toolbar, slider, thumbnails and root attributes follow the active viewport's series. */
  private showActiveSeries(): void {
    const vp = this.active;
    const s = vp.series;
    if (!s) return;
    this.root.dataset.seriesUid = s.seriesUid;
    this.root.dataset.imageCount = String(s.frames.length);
    this.slider.max = String(Math.max(0, s.frames.length - 1));
    this.slider.disabled = s.frames.length < 2;
    this.toolbar.fpsInput.value = String(s.defaultFps);
    this.toolbar.playButton.disabled = s.frames.length < 2;
    this.strip.setCurrent(vp.seriesIndex);
    this.buildPresets(s);
    this.updateFrameErrorAttr();
    this.showPosition(vp);
    if (vp.pane.dataset.wl) this.root.dataset.wl = vp.pane.dataset.wl;
  }

  /** The active viewport's image index in the root attributes and the slider. */
  private showPosition(vp: Viewport): void {
    const n = vp.series?.frames.length ?? 0;
    this.root.dataset.imageIndex = String(vp.imageIndex);
    this.slider.value = String(vp.imageIndex);
    this.sliderOutput.textContent = `${vp.imageIndex + 1}/${n}`;
  }

  // ---- Loading -------------------------------------------------------------------------------

  /**
   * One request for the whole study (WADO-RS study metadata) rather than QIDO-RS for the series
   * then one metadata request per series: the first image is one round trip nearer.
   */
  private fetchMetadata(studyUid = this.options.studyUid): Promise<DicomJson[]> {
    const client = new DicomWebClient(this.options.dicomwebRoot.replace(/\/+$/, ''), this.requestHeaders(), this.abort.signal);
    return client.getJson<DicomJson[]>(client.studyMetadataUrl(studyUid));
  }

  /** The host's metadata request (ViewerOptions.metadata), or ours if it did not give a study's instances. */
  private hostMetadata(request: Promise<unknown>): Promise<DicomJson[]> {
    return request.then(
      (instances) => (Array.isArray(instances) ? (instances as DicomJson[]) : this.fetchMetadata()),
      () => this.fetchMetadata(),
    );
  }

  /** A study's series, their frames' imageIds owned by this viewer. */
  private async readStudy(studyUid: string, metadata: Promise<DicomJson[]>): Promise<StackSeries[]> {
    const root = this.options.dicomwebRoot.replace(/\/+$/, '');
    const instances = await metadata;
    const stacks = await studySeries(
      instances,
      (series, sop) =>
        `${root}/studies/${encodeURIComponent(studyUid)}/series/${encodeURIComponent(series)}/instances/${encodeURIComponent(sop)}`,
      async (uri) => (await fetchFrame(uri, this.requestHeaders(), this.abort.signal)).pixelData,
    );
    for (const s of stacks) for (const f of s.frames) this.ownImageIds.add(f.imageId);
    return stacks;
  }

  private async load(): Promise<void> {
    const metadata = this.pendingMetadata ?? this.fetchMetadata();
    this.pendingMetadata = undefined;
    try {
      const stacks = await this.readStudy(this.options.studyUid, metadata);
      if (this.destroyed) return;
      this.series = stacks;
      if (this.series.length === 0) {
        this.fail('NOT_FOUND', this.t('noImages'));
        return;
      }
    } catch (error) {
      this.loadFailed(error);
      return;
    }
    // The viewer's layout is final before its first image: the series list, then the first series.
    this.strip.clear();
    this.strip.add(this.series, 0);
    const vp = this.primary;
    vp.seriesIndex = -1;
    this.assign(vp, 0);
    // The image the viewer opens on (the first series' middle one), drawn before Cornerstone runs.
    const first = this.series[0]?.frames[vp.imageIndex];
    const canPreview = first !== undefined && previewable(first.instance);
    // Cornerstone's bundle downloads at once when it will draw the first image, else once the
    // previewed frame has arrived (showPreview): not while the metadata and that frame travel.
    if (!canPreview) preloadEngine();
    const previewed = canPreview ? await this.showPreview(first) : undefined;
    if (this.destroyed || this.accessErrorShown) return;
    try {
      useEngine(await loadEngine());
    } catch {
      if (!this.destroyed) this.fail('NETWORK', this.t('network'), true);
      return;
    }
    if (this.destroyed) return;
    this.startEngine(first, previewed);
  }

  private loadFailed(error: unknown): void {
    if (this.destroyed) return;
    if (error instanceof DicomWebError) {
      this.fail(error.code, this.messageFor(error.code), error.status === undefined);
    } else {
      this.fail('NETWORK', this.t('network'), true);
    }
  }

  /**
   * Fetches, decodes and draws `frame` without Cornerstone (preview.ts), in the first viewport,
   * where and as Cornerstone will draw it. Returns the frame's bytes for Cornerstone, or undefined
   * if the preview failed: Cornerstone then loads the frame itself and reports what went wrong,
   * except for a refused access, reported at once (Cornerstone is then not loaded at all).
   */
  private async showPreview(frame: Frame): Promise<FetchedFrame | undefined> {
    this.removePreview();
    const element = this.primary.element;
    try {
      const fetched = await fetchFrame(frame.imageId.slice('wadors:'.length), this.requestHeaders(), this.abort.signal);
      preloadEngine();
      await this.styled;
      if (this.destroyed) return undefined;
      const { clientWidth: width, clientHeight: height } = element;
      // A host that is hidden (no size) gets no preview: Cornerstone draws once it is shown.
      if (width === 0 || height === 0) return fetched;
      const image = decodePreview(frame.instance, fetched);
      const canvas = h('canvas', { class: 'emv-preview', 'aria-hidden': 'true' });
      drawPreview(canvas, image, width, height);
      element.append(canvas);
      this.preview = canvas;
      this.root.dataset.preview = 'shown';
      // Shown, but still "loading" until Cornerstone draws it: only then do the tools answer.
      this.message.hidden = true;
      this.firstImageDrawn();
      return fetched;
    } catch (error) {
      if (error instanceof DicomWebError && (error.status === 401 || error.status === 403)) this.refuseAccess(error.status);
      return undefined;
    }
  }

  /** Cornerstone is loaded: it takes the series over, starting with the previewed frame's bytes. */
  private startEngine(first: Frame | undefined, previewed: FetchedFrame | undefined): void {
    engine.acquireRuntime(this);
    this.runtimeAcquired = true;
    this.registerMetadata(this.series);
    if (first && previewed) engine.adoptFrame(first.imageId, previewed.pixelData, previewed.transferSyntax);
    this.startViewing();
  }

  private registerMetadata(series: StackSeries[]): void {
    for (const s of series) {
      for (const f of s.frames) cornerstoneWADOImageLoader.wadors.metaDataManager.add(f.imageId, f.instance);
    }
  }

  /** Cornerstone drew over the preview: the preview goes. */
  private removePreview(): void {
    this.preview?.remove();
    this.preview = undefined;
  }

  private messageFor(code: ViewerErrorCode): string {
    switch (code) {
      case 'UNAUTHORIZED':
        return this.t('unauthorized');
      case 'FORBIDDEN':
        return this.t('forbidden');
      case 'NOT_FOUND':
        return this.t('notFound');
      case 'NETWORK':
        return this.t('network');
      case 'DECODE':
        return this.t('frameError');
    }
  }

  /** Access and loading errors replace the whole viewer: nothing of the exam is drawn. */
  private fail(code: ViewerErrorCode, message: string, retryable = code === 'NETWORK'): void {
    this.stopCine();
    this.prefetcher?.stop();
    this.removePreview();
    this.setState('error');
    this.root.dataset.errorCode = code;
    this.showMessage(message, retryable);
    this.options.onError?.({ code, message });
  }

  private showMessage(text: string, retry: boolean): void {
    this.message.replaceChildren(h('p', {}, text));
    if (retry) {
      const button = h('button', { type: 'button', class: 'emv-btn emv-retry' }, this.t('retry'));
      button.addEventListener('click', () => this.retry());
      this.message.append(button);
    }
    this.message.hidden = false;
  }

  private retry(): void {
    this.message.hidden = true;
    this.setState('loading');
    this.showMessage(this.t('loading'), false);
    delete this.root.dataset.errorCode;
    if (this.series.length > 0 && this.enabled) {
      this.accessErrorShown = false;
      this.message.hidden = true;
      this.setState('ready');
      void this.showImageIn(this.active, this.active.imageIndex);
    } else {
      void this.load();
    }
  }

  private startViewing(): void {
    // Uncompressed frames are decoded on the main thread; workers only for a study that needs them.
    if (this.series.some((s) => s.frames.some((f) => !UNCOMPRESSED_TRANSFER_SYNTAXES.has(getString(f.instance, Tag.AvailableTransferSyntaxUID) ?? '')))) {
      engine.startDecodeWorkers();
    }
    this.enabled = true;
    for (const vp of this.viewports) this.enableViewport(vp);
    // The tools arrive once the first image is shown (cornerstone/tools.ts); until then the toolbar
    // already shows the window/level tool as the one in use.
    const registerLater = !engine.toolsReady();
    this.setTool(this.activeTool);
    this.afterFirstImage(() => void this.wireTools(registerLater));

    this.prefetcher = new engine.Prefetcher(
      this.series,
      {
        onProgress: (si, done, total) => this.strip.updateProgress(si, done, total),
        onFrameFailed: (si, fi, error) => this.onFrameFailed(si, fi, error),
      },
      engine.cacheMaximumBytes() * 0.6,
      4,
      (image) => {
        try {
          assertComplete(image);
          return true;
        } catch {
          return false;
        }
      },
    );
    this.loadThumbnails(0);
    for (const vp of this.viewports) if (vp.series) void this.showImageIn(vp, vp.imageIndex, true);
    this.message.hidden = true;
  }

  private async wireTools(registerElement: boolean): Promise<void> {
    let tools: Tools;
    try {
      tools = await engine.loadTools();
    } catch {
      // Without its tools the viewer still shows, scrolls and windows images from the toolbar.
      this.root.dataset.tools = 'failed';
      return;
    }
    if (this.destroyed || !this.enabled) return;
    // Viewports enabled before the tools listened to Cornerstone are registered with them now.
    if (registerElement) for (const vp of this.viewports) if (vp.enabled) engine.registerEarlierElement(vp.element);
    this.tools = tools;
    for (const vp of this.viewports) if (vp.enabled) this.addToolsTo(vp, tools);
    this.setTool(this.activeTool);
    this.root.dataset.tools = 'ready';
  }

  private addToolsTo(vp: Viewport, tools: Tools): void {
    const element = vp.element;
    for (const [tool, props] of [
      [tools.WwwcTool, {}],
      [tools.ZoomTool, { configuration: { invert: false, minScale: 0.1, maxScale: 20 } }],
      [tools.PanTool, {}],
      [tools.ZoomTouchPinchTool, {}],
      [tools.PanMultiTouchTool, {}],
    ] as const) {
      tools.addToolForElement(element, tool, props);
    }
    for (const [tool, props] of this.measurements.toolClasses(tools)) tools.addToolForElement(element, tool, props);
    // Right drag zooms and middle drag pans whatever the left-button tool is, as on a PACS station.
    tools.setToolActiveForElement(element, 'Zoom', { mouseButtonMask: 2 });
    tools.setToolActiveForElement(element, 'Pan', { mouseButtonMask: 4 });
    tools.setToolActiveForElement(element, 'ZoomTouchPinch', {});
    tools.setToolActiveForElement(element, 'PanMultiTouch', {});
    tools.setToolActiveForElement(element, this.activeTool, { mouseButtonMask: 1 });
  }

  // ---- Series and images ---------------------------------------------------------------------

  /** A thumbnail picked (click, Enter): its series in the active viewport. */
  private selectSeries(index: number): void {
    const vp = this.active;
    if (!this.assign(vp, index)) return;
    void this.showImageIn(vp, vp.imageIndex, true);
  }

  /**
   * Puts series `index` in `vp` without loading its image (the caller shows it). False if there is
   * no such series or the viewport shows it already.
   */
  private assign(vp: Viewport, index: number, start?: number): boolean {
    const s = this.series[index];
    if (!s) return false;
    if (vp === this.active) this.stopCine();
    if (!vp.setSeries(s, index, start)) return false;
    // The previous series' image (or its error) must not stay under this series' label while its image loads.
    vp.frameError.hide();
    const frame = s.frames[vp.imageIndex];
    if (frame && vp.enabled && !vp.isCached(frame.imageId)) vp.clearImage();
    if (vp === this.active) this.showActiveSeries();
    return true;
  }

  private async showImageIn(vp: Viewport, index: number, newSeries = false): Promise<void> {
    if (!this.enabled) return;
    const result = await vp.showImage(index, newSeries);
    if (this.destroyed || result.kind === 'stale') return;
    if (result.kind === 'failed') {
      this.firstImageSettled();
      this.onFrameFailed(vp.seriesIndex, vp.imageIndex, result.error);
      if (this.accessErrorShown) return;
      if (vp === this.primary) this.removePreview();
      vp.showError(failureOf(result.error));
      if (this.root.dataset.state === 'loading') this.setState('ready');
      return;
    }
    this.prefetcher?.markDone(vp.seriesIndex, vp.imageIndex);
    if (newSeries && vp === this.active) this.syncToggleButtons();
    // Over a preview, the viewer is ready once Cornerstone has drawn (onRendered).
    if (this.root.dataset.state === 'loading' && !this.preview) this.setState('ready');
    // Cornerstone draws at the next animation frame: what waits for the first image starts once
    // it is drawn and painted (onRendered), or after a while if the page is hidden and not painting.
    if (!this.firstImageShown) window.setTimeout(() => this.firstImageSettled(), FIRST_IMAGE_PAINT_TIMEOUT_MS);
  }

  /** A viewport moved to another image (before loading it). */
  private onPosition(vp: Viewport): void {
    if (vp === this.active) {
      this.showPosition(vp);
      // The first image travels alone: background loading starts once it is on screen.
      if (this.firstImageWaiters === null) this.prefetcher?.focus(vp.seriesIndex, vp.imageIndex);
      else this.afterFirstImage(() => this.prefetcher?.focus(this.active.seriesIndex, this.active.imageIndex));
      this.followScroll(vp);
    }
  }

  /**
   * The first image is drawn on its canvas (the preview's, or Cornerstone's IMAGE_RENDERED): it is
   * settled after the next paint, or after a while if the page is hidden and not painting.
   */
  private firstImageDrawn(): void {
    if (this.firstImageShown) return;
    requestAnimationFrame(() => window.setTimeout(() => this.firstImageSettled(), 0));
    window.setTimeout(() => this.firstImageSettled(), FIRST_IMAGE_PAINT_TIMEOUT_MS);
  }

  /** Runs `task` once the first image is drawn (or failed) and the host let the rest start; at once after that. */
  private afterFirstImage(task: () => void): void {
    if (this.firstImageWaiters === null) task();
    else this.firstImageWaiters.push(task);
  }

  private firstImageSettled(): void {
    if (this.firstImageShown) return;
    this.firstImageShown = true;
    if (!this.destroyed) this.options.onFirstImage?.();
    // Tasks queued until the host lets them go run then, in order, with any added meanwhile.
    const run = () => {
      const waiters = this.firstImageWaiters ?? [];
      this.firstImageWaiters = null;
      for (const task of waiters) if (!this.destroyed) task();
    };
    if (this.options.holdAfterFirstImage) void this.options.holdAfterFirstImage.then(run, run);
    else run();
  }

  private step(delta: number, vp = this.active): void {
    void this.showImageIn(vp, vp.imageIndex + delta);
  }

  /** The session or the share grant ended (a frame answered 401 or 403): the exam must disappear. */
  private refuseAccess(status: number): void {
    if (this.accessErrorShown) return;
    this.accessErrorShown = true;
    const code = codeForStatus(status);
    this.fail(code, this.messageFor(code), false);
    if (this.enabled) {
      for (const vp of this.viewports) vp.disable();
      this.enabled = false;
    }
  }

  private onFrameFailed(seriesIndex: number, frameIndex: number, error: unknown): void {
    const s = this.series[seriesIndex];
    if (!s || this.destroyed) return;
    const status = statusOf(error);
    if (status === 401 || status === 403) {
      this.refuseAccess(status);
      return;
    }
    let set = this.failed.get(s.seriesUid);
    if (!set) this.failed.set(s.seriesUid, (set = new Set()));
    set.add(frameIndex);
    if (seriesIndex === this.active.seriesIndex) this.updateFrameErrorAttr();
    this.strip.markError(seriesIndex);
    if (!this.decodeReported.has(s.seriesUid)) {
      // One report per series: a corrupt multi-frame file would otherwise flood the host.
      this.decodeReported.add(s.seriesUid);
      const code: ViewerErrorCode = status !== undefined && status !== 200 ? 'NETWORK' : 'DECODE';
      this.options.onError?.({ code, message: `${this.t('frameError')} (${s.description || s.seriesUid}, ${frameIndex + 1})` });
    }
  }

  private updateFrameErrorAttr(): void {
    const s = this.active.series;
    const set = s ? this.failed.get(s.seriesUid) : undefined;
    if (set && set.size > 0) this.root.dataset.frameError = [...set].sort((a, b) => a - b).join(',');
    else delete this.root.dataset.frameError;
  }

  // ---- Rendering feedback --------------------------------------------------------------------

  private onRendered(vp: Viewport): void {
    this.renderedCount++;
    this.measurements.rendered(vp.element, vp.series?.frames[vp.imageIndex]?.instance, vp === this.active, this.tools);
    this.root.dataset.renderedCount = String(this.renderedCount);
    if (vp === this.primary) this.removePreview();
    if (this.root.dataset.state === 'loading') this.setState('ready');
    // A task after this frame's paint, so the first image reaches the screen before the rest starts.
    if (!this.firstImageShown) window.setTimeout(() => this.firstImageSettled(), 0);
    if (vp === this.active) {
      if (vp.pane.dataset.wl) this.root.dataset.wl = vp.pane.dataset.wl;
      this.followWindow(vp);
    }
  }

  private setState(state: State): void {
    this.root.dataset.state = state;
    this.root.setAttribute('aria-busy', state === 'loading' ? 'true' : 'false');
  }

  /** Each series' middle image on its thumbnail (from series `from` on), once the first image is shown. */
  private loadThumbnails(from: number): void {
    this.series.forEach((s, index) => {
      if (index < from) return;
      const middle = s.frames[Math.floor((s.frames.length - 1) / 2)];
      if (!middle) return;
      this.afterFirstImage(() => void cornerstone.loadAndCacheImage(middle.imageId, { requestType: 'thumbnail' }).then(
        (image) => {
          if (!this.destroyed) this.strip.drawThumbnail(index, image, (canvas, img) => cornerstone.renderToCanvas(canvas, img, img.color ? null : { voi: fileVoi(img) }));
        },
        () => {
          if (!this.destroyed) this.strip.markError(index);
        },
      ));
    });
  }

  // ---- Tools and view operations -------------------------------------------------------------

  private setTool(tool: MouseTool): void {
    if (!this.enabled) return;
    this.activeTool = tool;
    // The same tool follows a one-finger drag on touch screens; pinch and two-finger pan stay on.
    for (const vp of this.viewports) if (vp.enabled) this.tools?.setToolActiveForElement(vp.element, tool, { mouseButtonMask: 1 });
    for (const button of this.root.querySelectorAll<HTMLButtonElement>('[data-action="tool"]')) {
      button.setAttribute('aria-pressed', button.dataset.tool === tool ? 'true' : 'false');
    }
  }

  private updateViewport(change: (vp: CsViewport) => void): void {
    if (!this.enabled) return;
    this.active.updateView(change);
    this.syncToggleButtons();
  }

  private syncToggleButtons(): void {
    const vp = this.enabled ? this.active.view() : undefined;
    this.toolbar.setPressed('invert', !!vp?.invert);
    this.toolbar.setPressed('flipH', !!vp?.hflip);
    this.toolbar.setPressed('flipV', !!vp?.vflip);
  }

  private applyPreset(id: string): void {
    const preset = PRESETS.find((p) => p.id === id);
    const image = this.enabled ? this.active.image() : undefined;
    if (!preset || !image) return;
    this.updateViewport((vp) => {
      if (preset.window !== undefined && preset.level !== undefined) {
        vp.voi = { windowWidth: preset.window, windowCenter: preset.level };
      } else {
        vp.voi = fileVoi(image);
      }
    });
    this.toolbar.presetSelect.value = '';
  }

  private buildPresets(s: StackSeries): void {
    // Hounsfield presets only make sense on CT; other modalities get the file's own VOI.
    const available = s.modality === 'CT' ? PRESETS : PRESETS.filter((p) => p.id === 'file');
    this.toolbar.presetSelect.replaceChildren(
      h('option', { value: '' }, this.t('presets')),
      ...available.map((p) => {
        const label = p.window !== undefined ? `${this.t(p.label)} (${p.window}/${p.level})` : this.t(p.label);
        return h('option', { value: p.id }, label);
      }),
    );
    this.toolbar.presetSelect.value = '';
  }

  private doAction(action: string): void {
    switch (action) {
      case 'fit':
        if (this.enabled) this.active.fit();
        break;
      case 'reset':
        if (this.enabled) {
          this.active.reset();
          this.syncToggleButtons();
        }
        break;
      case 'invert':
        this.updateViewport((vp) => (vp.invert = !vp.invert));
        break;
      case 'rotate':
        this.updateViewport((vp) => (vp.rotation = ((vp.rotation || 0) + 90) % 360));
        break;
      case 'flipH':
        this.updateViewport((vp) => (vp.hflip = !vp.hflip));
        break;
      case 'flipV':
        this.updateViewport((vp) => (vp.vflip = !vp.vflip));
        break;
      case 'cine':
        this.toggleCine();
        break;
      case 'overlays':
        this.toggleOverlays();
        break;
      case 'fullscreen':
        this.toggleFullscreen();
        break;
      case 'help':
        this.help.show();
        break;
      case 'syncScroll':
      case 'linkWl':
        this.toggleSync(action);
        break;
      case 'priors':
        this.toolbar.setPressed('priors', this.priorsPanel.toggle());
        break;
      default:
        break;
    }
  }

  private toggleOverlays(): void {
    const on = this.root.dataset.overlays !== 'on';
    this.root.dataset.overlays = on ? 'on' : 'off';
    this.toolbar.setPressed('overlays', on);
  }

  private toggleFullscreen(): void {
    if (document.fullscreenElement === this.root) {
      void document.exitFullscreen().catch(() => undefined);
    } else if (this.root.requestFullscreen) {
      void this.root.requestFullscreen().catch(() => {
        // Fullscreen refused (iframe without allow, iOS Safari): fill the window instead.
        this.root.classList.toggle('emv-pseudo-fullscreen');
        this.onFullscreenChange();
      });
    } else {
      this.root.classList.toggle('emv-pseudo-fullscreen');
      this.onFullscreenChange();
    }
  }

  private readonly onFullscreenChange = (): void => {
    const on = document.fullscreenElement === this.root || this.root.classList.contains('emv-pseudo-fullscreen');
    this.toolbar.setPressed('fullscreen', on);
  };

  // ---- Cine ----------------------------------------------------------------------------------

  private toggleCine(): void {
    if (this.cineTimer !== undefined) this.stopCine();
    else this.startCine();
  }

  private fps(): number {
    const value = Number.parseFloat(this.toolbar.fpsInput.value);
    return clampFps(Number.isFinite(value) ? value : 10);
  }

  private startCine(): void {
    const vp = this.active;
    const s = vp.series;
    if (!s || s.frames.length < 2 || this.root.dataset.state !== 'ready') return;
    this.setPlayButton(true);
    const tick = () => {
      if (this.destroyed) return;
      this.cineTimer = window.setTimeout(tick, 1000 / this.fps());
      // A frame still on the wire holds the clip rather than queueing a backlog of requests.
      if (this.cineBusy) return;
      this.cineBusy = true;
      const next = (vp.imageIndex + 1) % s.frames.length;
      void this.showImageIn(vp, next).finally(() => (this.cineBusy = false));
    };
    this.cineTimer = window.setTimeout(tick, 1000 / this.fps());
  }

  private stopCine(): void {
    if (this.cineTimer !== undefined) window.clearTimeout(this.cineTimer);
    this.cineTimer = undefined;
    this.cineBusy = false;
    this.setPlayButton(false);
  }

  private setPlayButton(playing: boolean): void {
    const label = this.t(playing ? 'pause' : 'play');
    const button = this.toolbar.playButton;
    button.setAttribute('aria-pressed', playing ? 'true' : 'false');
    button.setAttribute('aria-label', label);
    button.title = `${label} (Espace)`;
    button.replaceChildren(icon(playing ? 'pause' : 'play'), h('span', { class: 'emv-btn-label' }, label));
    this.root.dataset.cine = playing ? 'playing' : 'stopped';
  }

  // ---- Input ---------------------------------------------------------------------------------

  private on<K extends keyof HTMLElementEventMap>(target: HTMLElement | Document, type: K, listener: (e: HTMLElementEventMap[K]) => void): void {
    target.addEventListener(type, listener as EventListener);
    this.cleanups.push(() => target.removeEventListener(type, listener as EventListener));
  }

  private bindUi(): void {
    this.on(this.toolbar.element, 'click', (e) => {
      const button = (e.target as Element).closest<HTMLButtonElement>('button[data-action]');
      if (!button) return;
      if (button.dataset.action === 'tool' && button.dataset.tool) this.setTool(button.dataset.tool as MouseTool);
      else if (button.dataset.action === 'layout' && button.dataset.layout) this.setLayout(button.dataset.layout as LayoutId);
      else if (button.dataset.action) this.doAction(button.dataset.action);
    });
    this.on(this.help.element, 'click', (e) => {
      if (this.help.isCloseClick(e)) this.help.close(this.active.element);
    });
    const presets = this.toolbar.presetSelect;
    this.on(presets, 'change', () => {
      if (presets.value) this.applyPreset(presets.value);
    });
    const fps = this.toolbar.fpsInput;
    this.on(fps, 'change', () => {
      fps.value = String(this.fps());
    });
    this.on(this.slider, 'input', () => {
      void this.showImageIn(this.active, Number.parseInt(this.slider.value, 10));
    });
    this.on(this.root, 'keydown', this.onKeyDown);
    if (this.options.onActivity) this.cleanups.push(watchActivity(this.root, this.options.onActivity, ACTIVITY_INTERVAL_MS));
    this.on(document, 'fullscreenchange', this.onFullscreenChange);
  }

  private readonly onWheel = (vp: Viewport, e: WheelEvent): void => {
    e.preventDefault();
    if (e.deltaY === 0) return;
    this.activate(vp);
    this.step(e.deltaY > 0 ? 1 : -1, vp);
  };

  private readonly onKeyDown = (e: KeyboardEvent): void => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (this.help.open) {
      if (e.key === 'Escape' || e.key === '?') {
        e.preventDefault();
        this.help.close(this.active.element);
      }
      return;
    }
    const target = e.target as HTMLElement;
    // Form controls keep their own keys (the slider's arrows, typing a frame rate).
    if (target.closest('input, select, textarea')) return;
    if (target.closest('button') && (e.key === ' ' || e.key === 'Enter')) return;
    if (this.root.dataset.state !== 'ready') return;
    const n = this.active.series?.frames.length ?? 0;
    const digit = /^(Digit|Numpad)([0-4])$/.exec(e.code)?.[2] ?? (/^[0-4]$/.test(e.key) ? e.key : undefined);
    let handled = true;
    switch (e.key) {
      case 'ArrowUp':
      case 'ArrowLeft':
        this.step(-1);
        break;
      case 'ArrowDown':
      case 'ArrowRight':
        this.step(1);
        break;
      case 'PageUp':
        this.step(-Math.max(1, Math.min(10, Math.round(n / 10))));
        break;
      case 'PageDown':
        this.step(Math.max(1, Math.min(10, Math.round(n / 10))));
        break;
      case 'Home':
        void this.showImageIn(this.active, 0);
        break;
      case 'End':
        void this.showImageIn(this.active, n - 1);
        break;
      case ' ':
        this.toggleCine();
        break;
      case '?':
        this.help.show();
        break;
      case '+':
      case '=':
        this.updateViewport((vp) => (vp.scale *= 1.25));
        break;
      case '-':
        this.updateViewport((vp) => (vp.scale /= 1.25));
        break;
      default:
        handled = this.onLetter(e.key.toLowerCase(), e.shiftKey, digit);
    }
    if (handled) {
      e.preventDefault();
      e.stopPropagation();
    }
  };

  private onLetter(key: string, shift: boolean, digit: string | undefined): boolean {
    if (digit !== undefined) {
      const preset = PRESETS.find((p) => p.key === digit);
      if (preset && (preset.id === 'file' || this.active.series?.modality === 'CT')) this.applyPreset(preset.id);
      return true;
    }
    const tools: Record<string, MouseTool> = { w: 'Wwwc', z: 'Zoom', d: 'Pan', m: 'Length', ...MEASURE_KEYS };
    const actions: Record<string, string> = {
      a: 'fit',
      x: 'reset',
      i: 'invert',
      r: 'rotate',
      h: 'flipH',
      v: 'flipV',
      o: 'overlays',
      f: 'fullscreen',
      s: 'syncScroll',
      l: 'linkWl',
      e: 'priors',
    };
    const tool = tools[key];
    if (tool) {
      this.setTool(tool);
      return true;
    }
    const action = actions[key];
    if (action) {
      this.doAction(action);
      return true;
    }
    if (key === 'n' && this.series.length > 1) {
      const next = (this.active.seriesIndex + (shift ? this.series.length - 1 : 1)) % this.series.length;
      this.selectSeries(next);
      return true;
    }
    return false;
  }

  // ---- Debug ---------------------------------------------------------------------------------

  private debugApi(): Record<string, unknown> {
    // Getters: Cornerstone and its tools arrive after the viewer is mounted.
    const tools = () => this.tools;
    return {
      get cornerstone() {
        return engine?.cornerstone;
      },
      get cornerstoneTools() {
        return tools();
      },
      viewer: this,
      cache: () => engine?.cornerstone.imageCache.getCacheInfo(),
      workers: () => engine?.cornerstoneWADOImageLoader.webWorkerManager.getStatistics(),
    };
  }

  // ---- Teardown ------------------------------------------------------------------------------

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.stopCine();
    this.prefetcher?.stop();
    this.abort.abort();
    const owns = (id: string | undefined) => id !== undefined && this.ownImageIds.has(id);
    // Queued requests first, so aborting the in-flight ones does not let the pool start the next.
    if (this.runtimeAcquired) {
      for (const pool of [cornerstone.imageRetrievalPoolManager, cornerstone.imageLoadPoolManager]) {
        pool.filterRequests((r) => !owns(r.additionalDetails?.imageId));
      }
    }
    for (const xhr of this.xhrs) xhr.abort();
    this.xhrs.clear();
    for (const vp of this.viewports.splice(0)) vp.destroy();
    this.enabled = false;
    // Measurements are keyed by imageId in a global manager; drop ours so nothing outlives us.
    if (this.tools) {
      const toolState = this.tools.globalImageIdSpecificToolStateManager.saveToolState();
      for (const id of Object.keys(toolState)) if (owns(id)) delete toolState[id];
      this.tools.globalImageIdSpecificToolStateManager.restoreToolState(toolState);
    }
    if (this.runtimeAcquired) {
      for (const id of this.ownImageIds) {
        if (cornerstone.imageCache.getImageLoadObject(id)) cornerstone.imageCache.removeImageLoadObject(id);
        cornerstoneWADOImageLoader.wadors.metaDataManager.remove?.(id);
      }
    }
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    if (document.fullscreenElement === this.root) void document.exitFullscreen().catch(() => undefined);
    this.root.remove();
    if (this.runtimeAcquired) engine.releaseRuntime(this);
    this.runtimeAcquired = false;
    const w = window as unknown as { __emageViewer?: { viewer?: unknown } };
    if (w.__emageViewer?.viewer === this) delete w.__emageViewer;
    this.ownImageIds = new Set();
    this.series = [];
  }
}
