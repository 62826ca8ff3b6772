export type ViewerErrorCode = 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' | 'NETWORK' | 'DECODE';

export interface ViewerError {
  code: ViewerErrorCode;
  message: string;
}

export type Locale = 'fr' | 'en';

export interface ViewerOptions {
  /** DICOMweb root, e.g. '/dicomweb'. Same origin: the page's cookie authorises reads. */
  dicomwebRoot: string;
  studyUid: string;
  /** UI language; default 'fr'. */
  locale?: Locale;
  /** Extra request headers, sent with every DICOMweb request (metadata and frames). */
  headers?: Record<string, string>;
  onError?: (e: ViewerError) => void;
  /**
   * Called once, when the first image is drawn and painted (by the viewer's preview or by
   * Cornerstone), or could not be: a host that holds back its own work until the image is on
   * screen (the shell's boot script) starts it then.
   */
  onFirstImage?: () => void;
  /**
   * What the viewer starts once its first image is shown — the rest of the series in the
   * background, the thumbnails, the tools — waits for this too: a host that renders its own page
   * around the viewer after the first image (the shell's boot script) lets it start then.
   */
  holdAfterFirstImage?: Promise<unknown>;
  /**
   * The study's WADO-RS metadata, when the host page already asked for it: the very request the
   * viewer would send (`{dicomwebRoot}/studies/{studyUid}/metadata`, parsed JSON), started while
   * the viewer bundle was still loading. Anything but an array of instances, or a failure, and
   * the viewer asks the server itself.
   */
  metadata?: Promise<unknown>;
  /**
   * Called when the user interacts with the viewer (pointer, wheel, keys, touch), at most once
   * every 5 s: reading cached images sends no request, so a host with an idle timeout keeps its
   * session alive from this. Cine playing on its own is not interaction.
   */
  onActivity?: () => void;
  /** The patient's other exams, when the host knows them at mount (else ViewerHandle.setPriors). */
  priors?: readonly PriorStudy[];
  /** Exposes the instance on `window.__emageViewer` for manual debugging; never in production hosts. */
  debug?: boolean;
}

/** Another exam of the same patient that the viewer may offer for comparison (« Examens antérieurs »). */
export interface PriorStudy {
  studyUid: string;
  title: string;
  /** ISO 8601 date of the exam. */
  date: string;
  modalities: string[];
}

export interface ViewerHandle {
  destroy(): void;
  /**
   * The patient's other exams this user may see, for the « Examens antérieurs » panel: the host
   * asks its server (which applies its access rule) and hands the answer over whenever it has it.
   */
  setPriors(priors: readonly PriorStudy[]): void;
}
