import type { ViewerErrorCode } from '../types';

/** A failed DICOMweb call, classified the way the host's `onError` expects. */
export class DicomWebError extends Error {
  constructor(
    readonly code: ViewerErrorCode,
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'DicomWebError';
  }
}

/**
 * The Accept of every frame request, the preview's (viewer/preview.ts) and Cornerstone's loader's
 * (cornerstone/runtime.ts), so both receive the same bytes. A single-part answer first: the
 * viewer asks one frame per request, and the loader takes a single-part body as the pixel data
 * as is, where it scans a multipart body for its closing boundary with a JavaScript loop over
 * every byte (about 4 times a native search once optimised, slower before that:
 * `node bench/frame-bytes.mjs`, ADR 0086). The loader's own multipart Accept follows, for a
 * server that answers frames only in multipart.
 */
export const FRAME_ACCEPT = 'application/octet-stream; transfer-syntax=*, multipart/related; type="application/octet-stream"; transfer-syntax=*; q=0.9';

export function codeForStatus(status: number): ViewerErrorCode {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404 || status === 410) return 'NOT_FOUND';
  return 'NETWORK';
}

/**
 * Minimal JSON client for WADO-RS metadata. It uses fetch with the page's
 * credentials (session or share-grant cookie) and an AbortSignal owned by the viewer instance,
 * so destroy() cancels what is still on the wire.
 */
export class DicomWebClient {
  constructor(
    private readonly root: string,
    private readonly headers: Record<string, string>,
    private readonly signal: AbortSignal,
  ) {}

  studyMetadataUrl(studyUid: string): string {
    return `${this.root}/studies/${encodeURIComponent(studyUid)}/metadata`;
  }

  async getJson<T>(url: string): Promise<T> {
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { Accept: 'application/dicom+json, application/json', ...this.headers },
        credentials: 'include',
        signal: this.signal,
      });
    } catch (e) {
      if (this.signal.aborted) throw e;
      throw new DicomWebError('NETWORK', undefined, e instanceof Error ? e.message : String(e));
    }
    // QIDO answers 204 No Content for an empty match.
    if (response.status === 204) return [] as T;
    if (!response.ok) {
      // The error body is not read; cancelling it frees the connection at once.
      void response.body?.cancel().catch(() => undefined);
      throw new DicomWebError(codeForStatus(response.status), response.status, `HTTP ${response.status} for ${url}`);
    }
    try {
      return (await response.json()) as T;
    } catch (e) {
      if (this.signal.aborted) throw e;
      throw new DicomWebError('NETWORK', response.status, `Invalid JSON from ${url}`);
    }
  }
}
