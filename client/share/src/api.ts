import { graphql } from './gql';
import type { SharedDocumentQuery } from './gql/graphql';

export const SharedDocumentDoc = graphql(`
  query SharedDocument {
    sharedDocument {
      id
      type
      title
      examTitle
      examDate
      patientDisplayName
      patientBirthDate
      patientSex
      sharedBy
      comment
      expiresAt
      documents { id type title date reportUrl studyInstanceUid }
    }
  }
`);

export type SharedDocument = NonNullable<SharedDocumentQuery['sharedDocument']>;
export type SharedExamDocument = SharedDocument['documents'][number];

/** Why the grant cookie no longer opens anything (server: /api/share/state). */
export type GrantState = 'ACTIVE' | 'EXPIRED' | 'REVOKED' | 'NONE';

export interface RuntimeConfig {
  support: { label: string; phone: string; email: string };
  viewerUrl: string;
}

export type LoadResult =
  | { kind: 'ready'; shared: SharedDocument }
  | { kind: 'refused'; state: Exclude<GrantState, 'ACTIVE'> }
  /** A physician's session in this browser takes precedence over the share grant. */
  | { kind: 'session' };

async function fetchJson<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { credentials: 'same-origin', ...init });
  if (!res.ok && res.headers.get('content-type')?.includes('application/json') !== true) throw new Error(`HTTP ${res.status}`);
  return (await res.json()) as T;
}

export function loadConfig(): Promise<RuntimeConfig> {
  return fetchJson<RuntimeConfig>('/api/config');
}

export async function grantState(): Promise<GrantState> {
  return (await fetchJson<{ state: GrantState }>('/api/share/state', { cache: 'no-store' })).state;
}

/** The shared document, or why it cannot be shown. The grant is the HttpOnly cookie: nothing to send. */
export async function loadSharedDocument(): Promise<LoadResult> {
  const body = await fetchJson<{ data?: SharedDocumentQuery | null; errors?: Array<{ extensions?: { code?: string } }> }>('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query: SharedDocumentDoc.toString(), operationName: 'SharedDocument' }),
  });
  const shared = body.data?.sharedDocument;
  if (shared) return { kind: 'ready', shared };
  if (body.errors?.some((e) => e.extensions?.code === 'FORBIDDEN')) return { kind: 'session' };
  const state = await grantState();
  return { kind: 'refused', state: state === 'ACTIVE' ? 'NONE' : state };
}
