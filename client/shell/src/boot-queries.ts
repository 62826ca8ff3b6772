/** What the boot script (boot.ts) asks at page start; test/boot.spec.ts keeps it equal to the shell's own. */

export const BOOT_ME_QUERY =
  'query Me { me { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds __typename } }';

export const BOOT_DOCUMENT_QUERY =
  'query DocumentView($id: ID!) { document(id: $id) { id type title date reportUrl studyInstanceUid exam { id title patientId __typename } __typename } }';

/** Where the shell's image viewer reads DICOMweb (ImageViewer.vue's default root). */
export const DICOMWEB_ROOT = '/dicomweb';

/**
 * The study's metadata, asked as the viewer asks it (client/viewer/src/dicomweb/client.ts), for a
 * viewer mounted with it (its `metadata` option): by the boot script on a full load, by an in-app
 * navigation otherwise (features/viewer/study-metadata.ts). Rejects on an HTTP error: the viewer
 * then asks itself, and reports what it gets.
 */
export async function fetchStudyMetadata(studyUid: string): Promise<unknown> {
  const response = await fetch(`${DICOMWEB_ROOT}/studies/${encodeURIComponent(studyUid)}/metadata`, {
    headers: { Accept: 'application/dicom+json, application/json' },
    credentials: 'include',
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return (await response.json()) as unknown;
}

/** The document routes of features/documents/routes.ts: in a record, and on its own. */
export const DOCUMENT_PATH = /^\/(?:patients\/[^/]+\/)?documents\/([^/?#]+)\/?$/;

/**
 * The interface language chosen on this browser, as the shell reads it (i18n/stored-locale.ts,
 * restated so that the boot script takes no module of the shell's).
 */
export function bootLocale(): 'fr' | 'en' {
  try {
    return localStorage.getItem('emage.locale') === 'en' ? 'en' : 'fr';
  } catch {
    return 'fr';
  }
}

/** A GraphQL answer as the server sends it. */
export interface GraphQLBody<T> {
  data?: T | null;
  errors?: unknown[];
}
