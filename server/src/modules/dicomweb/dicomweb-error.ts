/**
 * A DICOMweb request refused with an HTTP status (PS3.18 uses plain statuses, not GraphQL
 * codes). `message` is English, safe to return, and never holds a UID or patient data.
 */
export class DicomwebError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 406 | 413 | 415 | 422 | 503,
    message: string,
  ) {
    super(message);
    this.name = 'DicomwebError';
  }
}

export const unauthenticated = (): DicomwebError => new DicomwebError(401, 'Authentication required');
export const forbidden = (): DicomwebError => new DicomwebError(403, 'Not allowed');
/** The same answer for a study that does not exist and one the caller may not read. */
export const notFound = (): DicomwebError => new DicomwebError(404, 'Not found');
export const badRequest = (message: string): DicomwebError => new DicomwebError(400, message);
export const notAcceptable = (message: string): DicomwebError => new DicomwebError(406, message);

const UID = /^[0-9]+(\.[0-9]+)*$/;

/** A UID from a path or query parameter: 400 unless it is a syntactically valid DICOM UID. */
export function checkUid(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length > 64 || !UID.test(value)) throw badRequest(`${name} is not a valid DICOM UID`);
  return value;
}
