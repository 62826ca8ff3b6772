import type { BootRequests, BootViewer } from '@/boot';

/**
 * Takes over a request the boot script (src/boot.ts) sent at page start, at most once: a later
 * caller (a retry, a second mount) asks the server itself.
 */
export function takeBootRequest<K extends keyof BootRequests>(key: K): BootRequests[K] | undefined {
  const boot = window.__emageBoot;
  if (!boot) return undefined;
  const request = boot[key];
  delete boot[key];
  return request;
}

/**
 * The viewer the boot script mounted for document `documentId`, if it mounted one for this study
 * and these settings, taken over by the caller (who destroys it in the end). A viewer the caller
 * cannot use is destroyed. Asked once: a later caller gets nothing.
 */
export async function takeBootViewer(
  documentId: string,
  wanted: { studyUid: string; dicomwebRoot: string; locale: string; headers?: Record<string, string> },
): Promise<BootViewer | undefined> {
  const slot = takeBootRequest('viewer');
  if (!slot) return undefined;
  const viewer = await slot.mounted;
  if (
    viewer &&
    slot.documentId === documentId &&
    viewer.studyUid === wanted.studyUid &&
    viewer.dicomwebRoot === wanted.dicomwebRoot &&
    viewer.locale === wanted.locale &&
    !wanted.headers
  ) {
    return viewer;
  }
  slot.discard();
  return undefined;
}

/** Unmounts the boot script's viewer unless `documentId` is its document (the page opened is another). */
export function discardBootViewer(documentId?: string): void {
  const slot = window.__emageBoot?.viewer;
  if (!slot || slot.documentId === documentId) return;
  takeBootRequest('viewer');
  slot.discard();
}
