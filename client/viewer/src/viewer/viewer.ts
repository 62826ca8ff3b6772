import type { RuntimeClient } from '../cornerstone/runtime';
import { UNCOMPRESSED_TRANSFER_SYNTAXES } from '../cornerstone/main-thread-decode';
import type { Tools } from '../cornerstone/tools';
import type { Image, Viewport, VOI } from 'cornerstone-core';
import { codeForStatus, DicomWebClient, DicomWebError } from '../dicomweb/client';
import { getString, Tag, type DicomJson } from '../dicomweb/dicomJson';
import { clampFps, type Frame, type StackSeries } from '../dicomweb/studyModel';
import { createTranslator, formatDicomDate, formatPersonName, type MessageKey, type Translate } from '../i18n';
import type { ViewerErrorCode, ViewerOptions } from '../types';
import { h, icon, toolbarButton, type ToolbarButton } from './dom';
import { loadEngine, preloadEngine, type Engine } from './engine-loader';
import type { Prefetcher } from './prefetch';
import { decodePreview, drawPreview, fetchFrame, previewable, type FetchedFrame } from './preview';
import { watchActivity } from './activity';
import { studySeries } from './study-series';
import { fileWindow } from './voi';
import { ViewportErrorState, type FrameFailure } from './viewport-error';

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
type MouseTool = 'Wwwc' | 'Zoom' | 'Pan' | 'Length';

interface Preset {
  id: string;
  label: MessageKey;
  key: string;
  window?: number;
  level?: number;
}

const PRESETS: Preset[] = [
  { id: 'file', label: 'presetFile', key: '0' },
  { id: 'soft', label: 'presetSoft', key: '1', window: 400, level: 40 },
  { id: 'lung', label: 'presetLung', key: '2', window: 1500, level: -600 },
  { id: 'bone', label: 'presetBone', key: '3', window: 2000, level: 300 },
  { id: 'brain', label: 'presetBrain', key: '4', window: 80, level: 40 },
];

const TOOL_BUTTONS: Array<ToolbarButton & { tool: MouseTool }> = [
  { action: 'tool', tool: 'Wwwc', label: 'wwwc', shortcut: 'W', icon: 'wwwc', toggle: true },
  { action: 'tool', tool: 'Zoom', label: 'zoom', shortcut: 'Z', icon: 'zoom', toggle: true },
  { action: 'tool', tool: 'Pan', label: 'pan', shortcut: 'D', icon: 'pan', toggle: true },
  { action: 'tool', tool: 'Length', label: 'length', shortcut: 'M', icon: 'length', toggle: true },
];

const VIEW_BUTTONS: ToolbarButton[] = [
  { action: 'fit', label: 'fit', shortcut: 'A', icon: 'fit' },
  { action: 'reset', label: 'reset', shortcut: 'X', icon: 'reset' },
  { action: 'invert', label: 'invert', shortcut: 'I', icon: 'invert', toggle: true },
  { action: 'rotate', label: 'rotate', shortcut: 'R', icon: 'rotate' },
  { action: 'flipH', label: 'flipH', shortcut: 'H', icon: 'flipH', toggle: true },
  { action: 'flipV', label: 'flipV', shortcut: 'V', icon: 'flipV', toggle: true },
];

const HELP_ROWS: Array<[string, MessageKey]> = [
  ['↑ ↓ ← →', 'kScroll'],
  ['Page ↑ / Page ↓', 'kPage'],
  ['Début / Fin', 'kHomeEnd'],
  ['W Z D M', 'kTools'],
  ['1 2 3 4 / 0', 'kPresets'],
  ['A', 'kFit'],
  ['X', 'kReset'],
  ['I', 'kInvert'],
  ['R', 'kRotate'],
  ['H / V', 'kFlip'],
  ['Espace', 'kCine'],
  ['O', 'kOverlay'],
  ['F', 'kFullscreen'],
  ['N / Maj+N', 'kSeries'],
  ['?', 'kHelp'],
];

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
 * The loader accepts a native frame shorter than Rows × Columns and renders garbage from it;
 * a truncated frame must show as unreadable instead.
 */
function assertComplete(image: Image): void {
  if (image.getPixelData().length < image.rows * image.columns) {
    throw new Error(`incomplete frame ${image.imageId}`);
  }
}

/** The series' initial window for a Cornerstone image (voi.ts). */
function fileVoi(image: Image): VOI {
  return fileWindow(image);
}

/**
 * One mounted viewer: owns its DOM, its Cornerstone enabled element, its requests and its
 * listeners, and gives every one of them back in destroy().
 */
export class Viewer implements RuntimeClient {
  private readonly t: Translate;
  private readonly abort = new AbortController();
  private readonly xhrs = new Set<XMLHttpRequest>();
  private readonly cleanups: Array<() => void> = [];
  private readonly root: HTMLDivElement;
  private readonly viewport: HTMLDivElement;
  private readonly slider: HTMLInputElement;
  private readonly sliderOutput: HTMLOutputElement;
  private readonly seriesNav: HTMLElement;
  private readonly message: HTMLDivElement;
  private readonly frameError: ViewportErrorState;
  private readonly help: HTMLDivElement;
  private readonly presetSelect: HTMLSelectElement;
  private readonly fpsInput: HTMLInputElement;
  private readonly playButton: HTMLButtonElement;
  private readonly overlay: Record<'tl' | 'tr' | 'bl' | 'br', HTMLDivElement>;
  private series: StackSeries[] = [];
  private seriesIndex = -1;
  private imageIndex = 0;
  private renderedCount = 0;
  private displayToken = 0;
  private enabled = false;
  private destroyed = false;
  private prefetcher: Prefetcher | undefined;
  /** Cornerstone's tools, once loaded and wired to this viewport (after the first image). */
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
  private activeTool: MouseTool = 'Wwwc';
  private accessErrorShown = false;
  private helpReturnFocus: HTMLElement | null = null;

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
    this.overlay = {
      tl: h('div', { class: 'emv-ov emv-ov-tl' }),
      tr: h('div', { class: 'emv-ov emv-ov-tr' }),
      bl: h('div', { class: 'emv-ov emv-ov-bl' }),
      br: h('div', { class: 'emv-ov emv-ov-br' }),
    };
    this.viewport = h('div', {
      class: 'emv-viewport',
      'data-testid': 'viewport',
      tabindex: 0,
      role: 'img',
      'aria-label': t('image'),
    });
    this.frameError = new ViewportErrorState(this.viewport, t);
    this.slider = h('input', {
      type: 'range',
      class: 'emv-slider',
      min: 0,
      max: 0,
      step: 1,
      value: 0,
      'aria-label': t('image'),
    });
    this.sliderOutput = h('output', { class: 'emv-slider-out', 'aria-live': 'off' });
    this.presetSelect = h('select', { class: 'emv-select', 'aria-label': t('presets'), title: t('presets') });
    this.fpsInput = h('input', {
      type: 'number',
      class: 'emv-fps',
      min: 1,
      max: 60,
      step: 1,
      value: 10,
      'aria-label': t('fps'),
      title: t('fps'),
    });
    this.playButton = toolbarButton(t, { action: 'cine', label: 'play', shortcut: 'Space', icon: 'play', toggle: true });
    this.seriesNav = h('nav', { class: 'emv-series', 'aria-label': t('series') });
    this.message = h('div', { class: 'emv-message', role: 'status' });
    this.help = this.buildHelp();

    const toolbar = h('div', { class: 'emv-toolbar', role: 'toolbar', 'aria-label': t('tools') });
    const toolGroup = h('div', { class: 'emv-group' });
    for (const b of TOOL_BUTTONS) {
      const button = toolbarButton(t, b);
      button.dataset.tool = b.tool;
      toolGroup.append(button);
    }
    const viewGroup = h('div', { class: 'emv-group' }, ...VIEW_BUTTONS.map((b) => toolbarButton(t, b)));
    const cineGroup = h(
      'div',
      { class: 'emv-group' },
      this.presetSelect,
      this.playButton,
      h('label', { class: 'emv-fps-label' }, this.fpsInput, h('span', { 'aria-hidden': 'true' }, 'i/s')),
    );
    const miscGroup = h(
      'div',
      { class: 'emv-group' },
      toolbarButton(t, { action: 'overlays', label: 'overlays', shortcut: 'O', icon: 'overlays', toggle: true }),
      toolbarButton(t, { action: 'fullscreen', label: 'fullscreen', shortcut: 'F', icon: 'fullscreen', toggle: true }),
      toolbarButton(t, { action: 'help', label: 'help', shortcut: '?', icon: 'help' }),
    );
    toolbar.append(toolGroup, viewGroup, cineGroup, miscGroup);

    const stage = h(
      'div',
      { class: 'emv-stage' },
      this.viewport,
      h('div', { class: 'emv-overlays', 'aria-hidden': 'true' }, ...Object.values(this.overlay)),
      this.frameError.element,
    );
    const main = h(
      'div',
      { class: 'emv-main' },
      stage,
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
        role: 'region',
        'aria-label': t('viewerLabel'),
        lang: options.locale === 'en' ? 'en' : 'fr',
        tabindex: -1,
      },
      toolbar,
      h('div', { class: 'emv-body' }, this.seriesNav, main),
      this.message,
      this.help,
    );
    host.append(this.root);
    this.bindUi(toolbar);
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

  // ---- Loading -------------------------------------------------------------------------------

  /**
   * One request for the whole study (WADO-RS study metadata) rather than QIDO-RS for the series
   * then one metadata request per series: the first image is one round trip nearer.
   */
  private fetchMetadata(): Promise<DicomJson[]> {
    const client = new DicomWebClient(this.options.dicomwebRoot.replace(/\/+$/, ''), this.requestHeaders(), this.abort.signal);
    return client.getJson<DicomJson[]>(client.studyMetadataUrl(this.options.studyUid));
  }

  /** The host's metadata request (ViewerOptions.metadata), or ours if it did not give a study's instances. */
  private hostMetadata(request: Promise<unknown>): Promise<DicomJson[]> {
    return request.then(
      (instances) => (Array.isArray(instances) ? (instances as DicomJson[]) : this.fetchMetadata()),
      () => this.fetchMetadata(),
    );
  }

  private async load(): Promise<void> {
    const root = this.options.dicomwebRoot.replace(/\/+$/, '');
    const study = this.options.studyUid;
    const metadata = this.pendingMetadata ?? this.fetchMetadata();
    this.pendingMetadata = undefined;
    try {
      const instances = await metadata;
      const stacks = await studySeries(
        instances,
        (series, sop) =>
          `${root}/studies/${encodeURIComponent(study)}/series/${encodeURIComponent(series)}/instances/${encodeURIComponent(sop)}`,
        async (uri) => (await fetchFrame(uri, this.requestHeaders(), this.abort.signal)).pixelData,
      );
      if (this.destroyed) return;
      this.series = stacks;
      for (const s of this.series) for (const f of s.frames) this.ownImageIds.add(f.imageId);
      if (this.series.length === 0) {
        this.fail('NOT_FOUND', this.t('noImages'));
        return;
      }
    } catch (error) {
      this.loadFailed(error);
      return;
    }
    // The viewer's layout is final before its first image: the series list, then the first series.
    this.seriesIndex = -1;
    this.seriesNav.replaceChildren();
    this.buildSeriesNav();
    this.prepareSeries(0);
    // The image the viewer opens on (the first series' middle one), drawn before Cornerstone runs.
    const first = this.series[0]?.frames[this.imageIndex];
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
   * Fetches, decodes and draws `frame` without Cornerstone (preview.ts), in the viewport, where and
   * as Cornerstone will draw it. Returns the frame's bytes for Cornerstone, or undefined if the
   * preview failed: Cornerstone then loads the frame itself and reports what went wrong, except
   * for a refused access, reported at once (Cornerstone is then not loaded at all).
   */
  private async showPreview(frame: Frame): Promise<FetchedFrame | undefined> {
    this.removePreview();
    try {
      const fetched = await fetchFrame(frame.imageId.slice('wadors:'.length), this.requestHeaders(), this.abort.signal);
      preloadEngine();
      await this.styled;
      if (this.destroyed) return undefined;
      const { clientWidth: width, clientHeight: height } = this.viewport;
      // A host that is hidden (no size) gets no preview: Cornerstone draws once it is shown.
      if (width === 0 || height === 0) return fetched;
      const image = decodePreview(frame.instance, fetched);
      const canvas = h('canvas', { class: 'emv-preview', 'aria-hidden': 'true' });
      drawPreview(canvas, image, width, height);
      this.viewport.append(canvas);
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
    for (const s of this.series) {
      for (const f of s.frames) cornerstoneWADOImageLoader.wadors.metaDataManager.add(f.imageId, f.instance);
    }
    if (first && previewed) engine.adoptFrame(first.imageId, previewed.pixelData, previewed.transferSyntax);
    this.startViewing();
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
      void this.showImage(this.imageIndex);
    } else {
      void this.load();
    }
  }

  private startViewing(): void {
    // Uncompressed frames are decoded on the main thread; workers only for a study that needs them.
    if (this.series.some((s) => s.frames.some((f) => !UNCOMPRESSED_TRANSFER_SYNTAXES.has(getString(f.instance, Tag.AvailableTransferSyntaxUID) ?? '')))) {
      engine.startDecodeWorkers();
    }
    cornerstone.enable(this.viewport);
    this.enabled = true;
    this.viewport.addEventListener(cornerstone.EVENTS.IMAGE_RENDERED, this.onRendered);
    this.viewport.addEventListener('wheel', this.onWheel, { passive: false });
    this.cleanups.push(() => {
      this.viewport.removeEventListener(cornerstone.EVENTS.IMAGE_RENDERED, this.onRendered);
      this.viewport.removeEventListener('wheel', this.onWheel);
    });
    // The tools arrive once the first image is shown (cornerstone/tools.ts); until then the toolbar
    // already shows the window/level tool as the one in use.
    const registerLater = !engine.toolsReady();
    this.setTool('Wwwc');
    this.afterFirstImage(() => void this.wireTools(registerLater));

    const resize = new ResizeObserver(() => {
      if (this.enabled) cornerstone.resize(this.viewport);
    });
    resize.observe(this.viewport);
    this.cleanups.push(() => resize.disconnect());

    this.prefetcher = new engine.Prefetcher(
      this.series,
      {
        onProgress: (si, done, total) => this.updateProgress(si, done, total),
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
    this.loadThumbnails();
    void this.showImage(this.imageIndex, true);
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
    if (registerElement) engine.registerEarlierElement(this.viewport);
    for (const [tool, props] of [
      [tools.WwwcTool, {}],
      [tools.ZoomTool, { configuration: { invert: false, minScale: 0.1, maxScale: 20 } }],
      [tools.PanTool, {}],
      [tools.LengthTool, {}],
      [tools.ZoomTouchPinchTool, {}],
      [tools.PanMultiTouchTool, {}],
    ] as const) {
      tools.addToolForElement(this.viewport, tool, props);
    }
    // Right drag zooms and middle drag pans whatever the left-button tool is, as on a PACS station.
    tools.setToolActiveForElement(this.viewport, 'Zoom', { mouseButtonMask: 2 });
    tools.setToolActiveForElement(this.viewport, 'Pan', { mouseButtonMask: 4 });
    tools.setToolActiveForElement(this.viewport, 'ZoomTouchPinch', {});
    tools.setToolActiveForElement(this.viewport, 'PanMultiTouch', {});
    this.tools = tools;
    this.setTool(this.activeTool);
    this.root.dataset.tools = 'ready';
  }

  // ---- Series and images ---------------------------------------------------------------------

  private selectSeries(index: number): void {
    if (!this.prepareSeries(index)) return;
    const frame = this.series[index]?.frames[this.imageIndex];
    // The previous series' image (or its error) must not stay under this series' label while its image loads.
    this.frameError.hide();
    if (frame && this.enabled && !cornerstone.imageCache.getImageLoadObject(frame.imageId)) this.clearImage();
    void this.showImage(this.imageIndex, true);
  }

  /**
   * Everything selecting series `index` changes but the image: its attributes, slider, cine and
   * presets, the overlays of its middle image. False if there is no such series or it is the current one.
   */
  private prepareSeries(index: number): boolean {
    const s = this.series[index];
    if (!s || index === this.seriesIndex) return false;
    this.stopCine();
    this.seriesIndex = index;
    const middle = Math.floor((s.frames.length - 1) / 2);
    this.root.dataset.seriesUid = s.seriesUid;
    this.root.dataset.imageCount = String(s.frames.length);
    this.slider.max = String(Math.max(0, s.frames.length - 1));
    this.slider.disabled = s.frames.length < 2;
    this.fpsInput.value = String(s.defaultFps);
    this.playButton.disabled = s.frames.length < 2;
    for (const button of this.seriesNav.querySelectorAll<HTMLButtonElement>('.emv-thumb')) {
      button.setAttribute('aria-current', button.dataset.seriesUid === s.seriesUid ? 'true' : 'false');
    }
    this.buildPresets(s);
    this.updateFrameErrorAttr();
    this.displayToken++;
    this.showPosition(middle, s.frames.length);
    return true;
  }

  /** Image `index` of `count` in the attributes, the slider and the overlays. */
  private showPosition(index: number, count: number): void {
    this.imageIndex = index;
    this.root.dataset.imageIndex = String(index);
    this.slider.value = String(index);
    this.sliderOutput.textContent = `${index + 1}/${count}`;
    this.updateOverlayText();
  }

  private async showImage(index: number, newSeries = false): Promise<void> {
    const s = this.series[this.seriesIndex];
    if (!s || !this.enabled) return;
    const clamped = Math.min(s.frames.length - 1, Math.max(0, index));
    const frame = s.frames[clamped];
    if (!frame) return;
    const token = ++this.displayToken;
    this.showPosition(clamped, s.frames.length);
    // The first image travels alone: background loading starts once it is on screen.
    if (this.firstImageWaiters === null) this.prefetcher?.focus(this.seriesIndex, clamped);
    else this.afterFirstImage(() => this.prefetcher?.focus(this.seriesIndex, this.imageIndex));
    let image: Image;
    try {
      image = await cornerstone.loadAndCacheImage(frame.imageId, { requestType: 'interaction' });
      assertComplete(image);
    } catch (error) {
      if (this.destroyed || token !== this.displayToken) return;
      this.firstImageSettled();
      this.onFrameFailed(this.seriesIndex, clamped, error);
      if (this.accessErrorShown) return;
      this.removePreview();
      this.frameError.show(failureOf(error), { desc: s.description || s.modality || s.seriesUid, i: clamped + 1, n: s.frames.length }, () => this.clearImage());
      if (this.root.dataset.state === 'loading') this.setState('ready');
      return;
    }
    if (this.destroyed || token !== this.displayToken || !this.enabled) return;
    this.prefetcher?.markDone(this.seriesIndex, clamped);
    this.frameError.hide();
    const current = cornerstone.getEnabledElement(this.viewport);
    if (newSeries || !current.image) {
      // A new series starts from its own default view (VOI from the file, fitted to the window).
      const initial = cornerstone.getDefaultViewportForImage(this.viewport, image);
      if (!image.color) initial.voi = fileVoi(image);
      cornerstone.displayImage(this.viewport, image, initial);
      this.syncToggleButtons();
    } else {
      cornerstone.displayImage(this.viewport, image);
    }
    // Over a preview, the viewer is ready once Cornerstone has drawn (onRendered).
    if (this.root.dataset.state === 'loading' && !this.preview) this.setState('ready');
    // Cornerstone draws at the next animation frame: what waits for the first image starts once
    // it is drawn and painted (onRendered), or after a while if the page is hidden and not painting.
    if (!this.firstImageShown) window.setTimeout(() => this.firstImageSettled(), FIRST_IMAGE_PAINT_TIMEOUT_MS);
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

  private step(delta: number): void {
    void this.showImage(this.imageIndex + delta);
  }

  /**
   * Takes the drawn image off the viewport: its canvas emptied and Cornerstone's image forgotten,
   * so no later redraw (resize, window/level) can bring it back under another series' label.
   */
  private clearImage(): void {
    if (!this.enabled) return;
    const enabled = cornerstone.getEnabledElement(this.viewport);
    enabled.image = undefined;
    const canvas = enabled.canvas;
    const context = canvas.getContext('2d');
    context?.setTransform(1, 0, 0, 1, 0, 0);
    context?.clearRect(0, 0, canvas.width, canvas.height);
  }

  /** The session or the share grant ended (a frame answered 401 or 403): the exam must disappear. */
  private refuseAccess(status: number): void {
    if (this.accessErrorShown) return;
    this.accessErrorShown = true;
    const code = codeForStatus(status);
    this.fail(code, this.messageFor(code), false);
    if (this.enabled) {
      cornerstone.disable(this.viewport);
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
    if (seriesIndex === this.seriesIndex) this.updateFrameErrorAttr();
    this.seriesNav.querySelector(`[data-series-uid="${CSS.escape(s.seriesUid)}"]`)?.classList.add('emv-thumb-has-error');
    if (!this.decodeReported.has(s.seriesUid)) {
      // One report per series: a corrupt multi-frame file would otherwise flood the host.
      this.decodeReported.add(s.seriesUid);
      const code: ViewerErrorCode = status !== undefined && status !== 200 ? 'NETWORK' : 'DECODE';
      this.options.onError?.({ code, message: `${this.t('frameError')} (${s.description || s.seriesUid}, ${frameIndex + 1})` });
    }
  }

  private updateFrameErrorAttr(): void {
    const s = this.series[this.seriesIndex];
    const set = s ? this.failed.get(s.seriesUid) : undefined;
    if (set && set.size > 0) this.root.dataset.frameError = [...set].sort((a, b) => a - b).join(',');
    else delete this.root.dataset.frameError;
  }

  // ---- Rendering feedback --------------------------------------------------------------------

  private readonly onRendered = (): void => {
    this.renderedCount++;
    this.root.dataset.renderedCount = String(this.renderedCount);
    this.removePreview();
    if (this.root.dataset.state === 'loading') this.setState('ready');
    // A task after this frame's paint, so the first image reaches the screen before the rest starts.
    if (!this.firstImageShown) window.setTimeout(() => this.firstImageSettled(), 0);
    const vp = cornerstone.getViewport(this.viewport);
    if (!vp) return;
    const w = Math.round(vp.voi.windowWidth);
    const l = Math.round(vp.voi.windowCenter);
    this.root.dataset.wl = `${w}/${l}`;
    this.overlay.br.replaceChildren(
      h('div', {}, this.t('wl', { w, l })),
      h('div', {}, this.t('zoomValue', { z: Math.round(vp.scale * 100) })),
    );
  };

  private updateOverlayText(): void {
    const s = this.series[this.seriesIndex];
    if (!s) return;
    const ds = s.frames[this.imageIndex]?.instance ?? s.header;
    const lines = (...values: string[]) => values.filter(Boolean).map((v) => h('div', {}, v));
    this.overlay.tl.replaceChildren(
      ...lines(formatPersonName(getString(ds, Tag.PatientName)), formatDicomDate(getString(ds, Tag.PatientBirthDate), this.options.locale)),
    );
    this.overlay.tr.replaceChildren(
      ...lines(formatDicomDate(getString(ds, Tag.StudyDate), this.options.locale), getString(ds, Tag.StudyDescription) ?? ''),
    );
    this.overlay.bl.replaceChildren(
      ...lines(s.description, this.t('imageOf', { i: this.imageIndex + 1, n: s.frames.length })),
    );
  }

  private setState(state: State): void {
    this.root.dataset.state = state;
    this.root.setAttribute('aria-busy', state === 'loading' ? 'true' : 'false');
  }

  // ---- Series thumbnails ---------------------------------------------------------------------

  private buildSeriesNav(): void {
    const dpr = Math.min(2, window.devicePixelRatio || 1);
    this.series.forEach((s, index) => {
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
      const label = this.t('seriesLabel', {
        n: s.seriesNumber ?? index + 1,
        desc: s.description || s.modality || '—',
        count: s.frames.length,
      });
      const button = h(
        'button',
        // The name is hidden text, not aria-label: the thumbnail's visible words differ from it,
        // which a speech-input user could not say (WCAG 2.5.3).
        { type: 'button', class: 'emv-thumb', 'data-series-uid': s.seriesUid, title: label },
        h('span', { class: 'emv-sr-only' }, label),
        canvas,
        h('span', { class: 'emv-thumb-text', 'aria-hidden': 'true' }, `${s.modality} ${s.description}`.trim() || String(index + 1)),
        h('span', { class: 'emv-thumb-count', 'aria-hidden': 'true' }, String(s.frames.length)),
        progress,
      );
      button.addEventListener('click', () => this.selectSeries(index));
      this.seriesNav.append(button);
    });
  }

  /** Each series' middle image on its thumbnail, through Cornerstone, once the first image is shown. */
  private loadThumbnails(): void {
    this.series.forEach((s, index) => {
      const button = this.seriesNav.children[index] as HTMLButtonElement | undefined;
      const canvas = button?.querySelector('canvas');
      const middle = s.frames[Math.floor((s.frames.length - 1) / 2)];
      if (!button || !canvas || !middle) return;
      this.afterFirstImage(() => void cornerstone.loadAndCacheImage(middle.imageId, { requestType: 'thumbnail' }).then(
        (image) => {
          if (!this.destroyed) cornerstone.renderToCanvas(canvas, image, image.color ? null : { voi: fileVoi(image) });
        },
        () => {
          if (!this.destroyed) button.classList.add('emv-thumb-has-error');
        },
      ));
    });
  }

  private updateProgress(seriesIndex: number, done: number, total: number): void {
    const button = this.seriesNav.children[seriesIndex];
    const progress = button?.querySelector<HTMLElement>('.emv-progress');
    const bar = progress?.firstElementChild as HTMLElement | null | undefined;
    if (!progress || !bar) return;
    progress.setAttribute('aria-valuenow', String(done));
    progress.setAttribute('aria-label', this.t('loadingSeries', { done, total }));
    bar.style.width = `${total ? (100 * done) / total : 0}%`;
    progress.classList.toggle('emv-progress-done', done >= total);
  }

  // ---- Tools and view operations -------------------------------------------------------------

  private setTool(tool: MouseTool): void {
    if (!this.enabled) return;
    this.activeTool = tool;
    // The same tool follows a one-finger drag on touch screens; pinch and two-finger pan stay on.
    this.tools?.setToolActiveForElement(this.viewport, tool, { mouseButtonMask: 1 });
    for (const button of this.root.querySelectorAll<HTMLButtonElement>('[data-action="tool"]')) {
      button.setAttribute('aria-pressed', button.dataset.tool === tool ? 'true' : 'false');
    }
  }

  private updateViewport(change: (vp: Viewport) => void): void {
    if (!this.enabled || !cornerstone.getImage(this.viewport)) return;
    const vp = cornerstone.getViewport(this.viewport);
    if (!vp) return;
    change(vp);
    cornerstone.setViewport(this.viewport, vp);
    this.syncToggleButtons();
  }

  private syncToggleButtons(): void {
    const vp = this.enabled ? cornerstone.getViewport(this.viewport) : undefined;
    const set = (action: string, on: boolean) =>
      this.root.querySelector(`[data-action="${action}"]`)?.setAttribute('aria-pressed', on ? 'true' : 'false');
    set('invert', !!vp?.invert);
    set('flipH', !!vp?.hflip);
    set('flipV', !!vp?.vflip);
  }

  private applyPreset(id: string): void {
    const preset = PRESETS.find((p) => p.id === id);
    const image = this.enabled ? cornerstone.getImage(this.viewport) : undefined;
    if (!preset || !image) return;
    this.updateViewport((vp) => {
      if (preset.window !== undefined && preset.level !== undefined) {
        vp.voi = { windowWidth: preset.window, windowCenter: preset.level };
      } else {
        vp.voi = fileVoi(image);
      }
    });
    this.presetSelect.value = '';
  }

  private buildPresets(s: StackSeries): void {
    // Hounsfield presets only make sense on CT; other modalities get the file's own VOI.
    const available = s.modality === 'CT' ? PRESETS : PRESETS.filter((p) => p.id === 'file');
    this.presetSelect.replaceChildren(
      h('option', { value: '' }, this.t('presets')),
      ...available.map((p) => {
        const label =
          p.window !== undefined ? `${this.t(p.label)} (${p.window}/${p.level})` : this.t(p.label);
        return h('option', { value: p.id }, label);
      }),
    );
    this.presetSelect.value = '';
  }

  private doAction(action: string): void {
    switch (action) {
      case 'fit':
        if (this.enabled && cornerstone.getImage(this.viewport)) cornerstone.fitToWindow(this.viewport);
        break;
      case 'reset':
        if (this.enabled && cornerstone.getImage(this.viewport)) {
          cornerstone.reset(this.viewport);
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
        this.openHelp();
        break;
      default:
        break;
    }
  }

  private toggleOverlays(): void {
    const on = this.root.dataset.overlays !== 'on';
    this.root.dataset.overlays = on ? 'on' : 'off';
    this.root.querySelector('[data-action="overlays"]')?.setAttribute('aria-pressed', on ? 'true' : 'false');
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
    this.root.querySelector('[data-action="fullscreen"]')?.setAttribute('aria-pressed', on ? 'true' : 'false');
  };

  // ---- Cine ----------------------------------------------------------------------------------

  private toggleCine(): void {
    if (this.cineTimer !== undefined) this.stopCine();
    else this.startCine();
  }

  private fps(): number {
    const value = Number.parseFloat(this.fpsInput.value);
    return clampFps(Number.isFinite(value) ? value : 10);
  }

  private startCine(): void {
    const s = this.series[this.seriesIndex];
    if (!s || s.frames.length < 2 || this.root.dataset.state !== 'ready') return;
    this.setPlayButton(true);
    const tick = () => {
      if (this.destroyed) return;
      this.cineTimer = window.setTimeout(tick, 1000 / this.fps());
      // A frame still on the wire holds the clip rather than queueing a backlog of requests.
      if (this.cineBusy) return;
      this.cineBusy = true;
      const next = (this.imageIndex + 1) % s.frames.length;
      void this.showImage(next).finally(() => (this.cineBusy = false));
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
    this.playButton.setAttribute('aria-pressed', playing ? 'true' : 'false');
    this.playButton.setAttribute('aria-label', label);
    this.playButton.title = `${label} (Espace)`;
    this.playButton.replaceChildren(icon(playing ? 'pause' : 'play'), h('span', { class: 'emv-btn-label' }, label));
    this.root.dataset.cine = playing ? 'playing' : 'stopped';
  }

  // ---- Help ----------------------------------------------------------------------------------

  private buildHelp(): HTMLDivElement {
    const t = this.t;
    const titleId = `emv-help-title-${Math.random().toString(36).slice(2)}`;
    const close = h('button', { type: 'button', class: 'emv-btn emv-help-close', 'data-action': 'help-close' }, t('close'));
    const rows = HELP_ROWS.map(([keys, label]) => h('tr', {}, h('th', { scope: 'row' }, h('kbd', {}, keys)), h('td', {}, t(label))));
    const panel = h(
      'div',
      { class: 'emv-help-panel' },
      h('h2', { id: titleId }, t('helpTitle')),
      h('table', {}, h('tbody', {}, ...rows)),
      h('p', {}, t('kWheel')),
      h('p', {}, t('kTouch')),
      close,
    );
    return h(
      'div',
      { class: 'emv-help', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': titleId, hidden: true, 'data-testid': 'viewer-help' },
      panel,
    );
  }

  private openHelp(): void {
    this.helpReturnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    this.help.hidden = false;
    this.help.querySelector<HTMLButtonElement>('.emv-help-close')?.focus();
  }

  private closeHelp(): void {
    this.help.hidden = true;
    (this.helpReturnFocus ?? this.viewport).focus();
  }

  // ---- Input ---------------------------------------------------------------------------------

  private bindUi(toolbar: HTMLElement): void {
    const on = <K extends keyof HTMLElementEventMap>(
      target: HTMLElement | Document,
      type: K,
      listener: (e: HTMLElementEventMap[K]) => void,
    ) => {
      target.addEventListener(type, listener as EventListener);
      this.cleanups.push(() => target.removeEventListener(type, listener as EventListener));
    };
    on(toolbar, 'click', (e) => {
      const button = (e.target as Element).closest<HTMLButtonElement>('button[data-action]');
      if (!button) return;
      if (button.dataset.action === 'tool' && button.dataset.tool) this.setTool(button.dataset.tool as MouseTool);
      else if (button.dataset.action) this.doAction(button.dataset.action);
    });
    on(this.help, 'click', (e) => {
      if (e.target === this.help || (e.target as Element).closest('[data-action="help-close"]')) this.closeHelp();
    });
    on(this.presetSelect, 'change', () => {
      if (this.presetSelect.value) this.applyPreset(this.presetSelect.value);
    });
    on(this.fpsInput, 'change', () => {
      this.fpsInput.value = String(this.fps());
    });
    on(this.slider, 'input', () => {
      void this.showImage(Number.parseInt(this.slider.value, 10));
    });
    on(this.root, 'keydown', this.onKeyDown);
    if (this.options.onActivity) this.cleanups.push(watchActivity(this.root, this.options.onActivity, ACTIVITY_INTERVAL_MS));
    on(document, 'fullscreenchange', this.onFullscreenChange);
    // Focus the viewport on pointer down so keyboard shortcuts work right after a click.
    on(this.viewport, 'pointerdown', () => this.viewport.focus({ preventScroll: true }));
  }

  private readonly onWheel = (e: WheelEvent): void => {
    e.preventDefault();
    if (e.deltaY === 0) return;
    this.step(e.deltaY > 0 ? 1 : -1);
  };

  private readonly onKeyDown = (e: KeyboardEvent): void => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (!this.help.hidden) {
      if (e.key === 'Escape' || e.key === '?') {
        e.preventDefault();
        this.closeHelp();
      }
      return;
    }
    const target = e.target as HTMLElement;
    // Form controls keep their own keys (the slider's arrows, typing a frame rate).
    if (target.closest('input, select, textarea')) return;
    if (target.closest('button') && (e.key === ' ' || e.key === 'Enter')) return;
    if (this.root.dataset.state !== 'ready') return;
    const s = this.series[this.seriesIndex];
    const n = s?.frames.length ?? 0;
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
        void this.showImage(0);
        break;
      case 'End':
        void this.showImage(n - 1);
        break;
      case ' ':
        this.toggleCine();
        break;
      case '?':
        this.openHelp();
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
      const s = this.series[this.seriesIndex];
      if (preset && (preset.id === 'file' || s?.modality === 'CT')) this.applyPreset(preset.id);
      return true;
    }
    const tools: Record<string, MouseTool> = { w: 'Wwwc', z: 'Zoom', d: 'Pan', m: 'Length' };
    const actions: Record<string, string> = {
      a: 'fit',
      x: 'reset',
      i: 'invert',
      r: 'rotate',
      h: 'flipH',
      v: 'flipV',
      o: 'overlays',
      f: 'fullscreen',
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
      const next = (this.seriesIndex + (shift ? this.series.length - 1 : 1)) % this.series.length;
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
    if (this.enabled) {
      cornerstone.disable(this.viewport);
      this.enabled = false;
    }
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
