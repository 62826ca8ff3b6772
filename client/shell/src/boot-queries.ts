/** What the boot script (boot.ts) asks at page start; test/boot.spec.ts keeps it equal to the shell's own. */

export const BOOT_ME_QUERY =
  'query Me { me { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt idleTimeoutSeconds __typename } }';

export const BOOT_DOCUMENT_QUERY =
  'query DocumentView($id: ID!) { document(id: $id) { id type title date reportUrl studyInstanceUid exam { id title patientId __typename } __typename } }';

/** Where the shell's image viewer reads DICOMweb (ImageViewer.vue's default root). */
export const DICOMWEB_ROOT = '/dicomweb';

/** The viewer's own study-metadata request (client/viewer/src/dicomweb/client.ts). */
export function studyMetadataRequest(studyUid: string): [string, RequestInit] {
  return [
    `${DICOMWEB_ROOT}/studies/${encodeURIComponent(studyUid)}/metadata`,
    { headers: { Accept: 'application/dicom+json, application/json' }, credentials: 'include' },
  ];
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
