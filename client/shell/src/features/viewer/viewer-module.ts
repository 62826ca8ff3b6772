import { loadRuntimeConfig, runtimeConfig } from '@/app/runtime-config';

/**
 * The viewer micro-frontend's contract (client/viewer/src/types.ts), restated here because the
 * shell never imports the viewer's code: it loads `/viewer/viewer.js` at run time, only when
 * images are opened, so Cornerstone stays out of the shell's bundle.
 */
export type ViewerErrorCode = 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' | 'NETWORK' | 'DECODE';

export interface ViewerError {
  code: ViewerErrorCode;
  message: string;
}

export interface ViewerOptions {
  dicomwebRoot: string;
  studyUid: string;
  locale?: 'fr' | 'en';
  headers?: Record<string, string>;
  onError?: (e: ViewerError) => void;
  /** The study's metadata already asked for by the page (the boot script), parsed JSON. */
  metadata?: Promise<unknown>;
}

export interface ViewerModule {
  mount(element: HTMLElement, options: ViewerOptions): { destroy(): void };
}

let loading: Promise<ViewerModule> | undefined;

/**
 * Downloads and compiles the viewer bundle without running it (a module preload), for a page
 * that will show images shortly: the browser does it off the main thread, which is busy
 * rendering that page. Waits for the runtime configuration, which says where the bundle is.
 */
export function preloadViewerModule(): void {
  if (loading || document.querySelector('link[data-viewer-preload]')) return;
  void loadRuntimeConfig().then(({ viewerUrl }) => {
    const link = document.createElement('link');
    link.rel = 'modulepreload';
    link.href = viewerUrl;
    link.dataset.viewerPreload = '';
    document.head.append(link);
  }, () => undefined);
}

/** Imports the viewer bundle once per page; a failed import may be retried. */
export function loadViewerModule(): Promise<ViewerModule> {
  loading ??= import(/* @vite-ignore */ runtimeConfig().viewerUrl).then(
    (m: unknown) => {
      if (typeof (m as Partial<ViewerModule>).mount !== 'function') throw new Error('viewer bundle without mount()');
      return m as ViewerModule;
    },
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
}
