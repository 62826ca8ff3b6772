import { DICOMWEB_ROOT, fetchStudyMetadata } from '@/boot-queries';

/**
 * The study metadata that an in-app navigation to an imaging document asks for at once
 * (features/documents/document-query.ts), while the page's code and the document's answer are
 * still on their way, for the viewer that page then mounts (ImageViewer.vue). The boot script does
 * the same for a page opened by a full load (src/boot.ts).
 */
interface Pending {
  documentId: string;
  studyUid: string;
  metadata: Promise<unknown>;
}
let pending: Pending | undefined;

/** Asks for `studyUid`'s metadata for the page of document `documentId`. */
export function preloadStudyMetadata(documentId: string, studyUid: string): void {
  if (pending?.documentId === documentId && pending.studyUid === studyUid) return;
  const metadata = fetchStudyMetadata(studyUid);
  // The viewer asks again itself if this failed: nothing to report here.
  metadata.catch(() => undefined);
  pending = { documentId, studyUid, metadata };
}

/**
 * The metadata asked for `studyUid`, taken once by the viewer that shows it, if that viewer reads
 * what was asked: the page's DICOMweb root with the page's session, no headers of its own.
 */
export function takeStudyMetadata(wanted: { studyUid: string; dicomwebRoot: string; headers?: Record<string, string> }): Promise<unknown> | undefined {
  if (pending?.studyUid !== wanted.studyUid || wanted.dicomwebRoot !== DICOMWEB_ROOT || wanted.headers) return undefined;
  const { metadata } = pending;
  pending = undefined;
  return metadata;
}

/** Drops what was asked for another page than document `documentId` (the navigation went elsewhere). */
export function discardStudyMetadata(documentId: string | undefined): void {
  if (pending && pending.documentId !== documentId) pending = undefined;
}
