import { multipartRelatedStream, newBoundary, type OutgoingPart } from '../dicom/multipart.js';
import type { PublishExamData } from '../exam/publish.service.js';

/**
 * What an imaging centre's system does against e-mage, over HTTP only: STOW-RS the instances,
 * then publishExam, with its API key as a Bearer token. Used by the demo seed and by `ingest`.
 */

export interface StowFailure {
  sopInstanceUid: string;
  /** DICOM FailureReason (0008,1197), e.g. 0xA900 for "does not match SOP class". */
  reason: number | null;
}

export interface StowResult {
  status: number;
  stored: string[];
  failed: StowFailure[];
}

export interface PublishDocument {
  type: 'IMAGING' | 'REPORT';
  title: string;
  date: string;
  studyInstanceUid: string;
  sopInstanceUid?: string | null;
}

/** The publishExam input as it travels in JSON: the service's shape, with ISO date strings. */
export type PublishExamRequest = Omit<PublishExamData, 'date' | 'documents' | 'modalities' | 'correspondentRpps' | 'notifyCorrespondents'> & {
  date: string;
  modalities?: string[];
  correspondentRpps?: string[];
  notifyCorrespondents?: boolean;
  documents: PublishDocument[];
};

export interface PublishedExamResponse {
  id: string;
  accessionNumber: string;
  documentsCount: number;
  rights: Array<{ rpps: string; role: string; granted: boolean }>;
}

/** An error the server answered (HTTP status or GraphQL error code), with its message. */
export class FacilityClientError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'FacilityClientError';
  }
}

const PUBLISH_EXAM = `mutation PublishExam($input: PublishExamInput!) {
  publishExam(input: $input) { id accessionNumber documentsCount rights { rpps role granted } }
}`;

type DicomJson = Record<string, { vr?: string; Value?: unknown[] } | undefined>;

function sequenceItems(json: DicomJson, tag: string): DicomJson[] {
  return (json[tag]?.Value ?? []) as DicomJson[];
}

function firstString(item: DicomJson, tag: string): string {
  const v = item[tag]?.Value?.[0];
  return typeof v === 'string' ? v : '';
}

/** PS3.18 10.5.3: ReferencedSOPSequence (0008,1199) and FailedSOPSequence (0008,1198). */
export function parseStowResponse(status: number, json: DicomJson | null): StowResult {
  const stored = json ? sequenceItems(json, '00081199').map((i) => firstString(i, '00081155')) : [];
  const failed = json
    ? sequenceItems(json, '00081198').map((i) => {
        const reason = i['00081197']?.Value?.[0];
        return { sopInstanceUid: firstString(i, '00081155'), reason: typeof reason === 'number' ? reason : null };
      })
    : [];
  return { status, stored, failed };
}

export class FacilityClient {
  readonly serverUrl: string;

  constructor(
    serverUrl: string,
    private readonly apiKey: string,
  ) {
    this.serverUrl = serverUrl.replace(/\/+$/, '');
  }

  private get authorization(): string {
    return `Bearer ${this.apiKey}`;
  }

  /**
   * STOW-RS of Part 10 files in one multipart/related request, streamed: the body is written as
   * the files are produced, so a large study is never held whole in memory.
   */
  async stow(files: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<StowResult> {
    const boundary = newBoundary();
    async function* parts(): AsyncGenerator<OutgoingPart> {
      for await (const body of files) yield { contentType: 'application/dicom', body };
    }
    const res = await fetch(`${this.serverUrl}/dicomweb/studies`, {
      method: 'POST',
      headers: {
        authorization: this.authorization,
        'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
        accept: 'application/dicom+json',
      },
      // undici streams an async iterable body; the DOM typings of fetch do not know it.
      body: multipartRelatedStream(parts(), boundary) as unknown as RequestInit['body'],
      duplex: 'half',
    } as RequestInit);
    const text = await res.text();
    let json: DicomJson | null;
    try {
      json = text ? (JSON.parse(text) as DicomJson) : null;
    } catch {
      json = null;
    }
    if (res.status === 401 || res.status === 403) throw new FacilityClientError('The server refused the facility key', String(res.status));
    if (![200, 202, 409].includes(res.status)) {
      throw new FacilityClientError(`STOW-RS answered HTTP ${res.status}${text && !json ? `: ${text.slice(0, 200)}` : ''}`, String(res.status));
    }
    return parseStowResponse(res.status, json);
  }

  async publishExam(input: PublishExamRequest): Promise<PublishedExamResponse> {
    const res = await fetch(`${this.serverUrl}/graphql`, {
      method: 'POST',
      headers: { authorization: this.authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ query: PUBLISH_EXAM, variables: { input } }),
    });
    const body = (await res.json().catch(() => null)) as {
      data?: { publishExam?: PublishedExamResponse } | null;
      errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
    } | null;
    const error = body?.errors?.[0];
    if (error) {
      const { code, ...details } = error.extensions ?? {};
      throw new FacilityClientError(error.message, String(code ?? 'ERROR'), details);
    }
    if (!body?.data?.publishExam) throw new FacilityClientError(`publishExam answered HTTP ${res.status}`, String(res.status));
    return body.data.publishExam;
  }
}
