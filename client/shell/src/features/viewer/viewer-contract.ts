/**
 * The viewer micro-frontend's contract (client/viewer/src/types.ts), restated here because the
 * shell never imports the viewer's code: it loads `/viewer/viewer.js` at run time, only when
 * images are opened, so Cornerstone stays out of the shell's bundle. Types only: the boot script
 * (src/boot.ts) uses them too without taking any of the shell's code.
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
  /** Called once the first image is drawn and painted (or could not be). */
  onFirstImage?: () => void;
  /** What the viewer starts after its first image (background loading, thumbnails, tools) waits for this too. */
  holdAfterFirstImage?: Promise<unknown>;
  /** The study's metadata already asked for by the page (the boot script, an in-app navigation), parsed JSON. */
  metadata?: Promise<unknown>;
  /** The user's input in the viewer (at most once every 5 s): reading keeps the session alive. */
  onActivity?: () => void;
}

/** Another exam of the patient, offered in the viewer's « Examens antérieurs » panel. */
export interface PriorStudy {
  studyUid: string;
  title: string;
  /** ISO 8601. */
  date: string;
  modalities: string[];
}

export interface ViewerHandle {
  destroy(): void;
  /** The patient's other exams this physician may see (absent from viewers built before it). */
  setPriors?(priors: readonly PriorStudy[]): void;
}

export interface ViewerModule {
  mount(element: HTMLElement, options: ViewerOptions): ViewerHandle;
}
