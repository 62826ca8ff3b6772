import { runtimeConfig } from '@/app/runtime-config';

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
