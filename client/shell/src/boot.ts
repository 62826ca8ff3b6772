/**
 * The first script of every page: a few hundred bytes that run before the shell's own code
 * (450 kB: Vue, Apollo, the router…) is compiled and evaluated. It sends the requests every page
 * start needs — the runtime configuration and who is signed in — and, when the page opened is a
 * document, that document; so the server answers them while the browser is still busy with the
 * shell, rather than after (docs/adr/0083-first-image-cold-load.md). When the document is an
 * imaging one, the viewer bundle starts downloading and compiling at once (a module preload, not
 * run until the page mounts the viewer), and its study's metadata is asked for, handed to the
 * viewer when it mounts (ImageViewer.vue).
 *
 * The shell takes these answers over instead of asking again: runtime-config.ts (config),
 * useSession.ts (me) and features/documents/document-query.ts (the document), which write them
 * into the Apollo cache. The query texts are those of the shell's operations as Apollo sends them
 * (with __typename); test/boot.spec.ts checks that they stay the same.
 */
import { BOOT_DOCUMENT_QUERY, BOOT_ME_QUERY, DICOMWEB_ROOT, DOCUMENT_PATH, studyMetadataRequest, type GraphQLBody } from './boot-queries';

/** What the boot script sent; the shell takes each one over once (app/boot-requests.ts). */
export interface BootRequests {
  config?: Promise<unknown>;
  me?: Promise<GraphQLBody<{ me: unknown }>>;
  document?: { id: string; body: Promise<GraphQLBody<{ document: BootDocument | null }>> };
  /** The imaging document's study metadata, as the viewer would ask for it. */
  metadata?: Promise<{ studyUid: string; dicomwebRoot: string; instances: unknown }>;
}

interface BootDocument {
  type: string;
  studyInstanceUid?: string | null;
}

declare global {
  interface Window {
    __emageBoot?: BootRequests;
  }
}

function graphql<T>(operationName: string, query: string, variables: Record<string, unknown>): Promise<GraphQLBody<T>> {
  return fetch('/graphql', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ operationName, variables, query }),
  }).then((res) => res.json() as Promise<GraphQLBody<T>>);
}

/** The document a document route names, if the path is one (a malformed escape is not). */
function documentIdOf(pathname: string): string | undefined {
  const match = DOCUMENT_PATH.exec(pathname);
  if (!match?.[1]) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
}

function boot(): BootRequests {
  const config = fetch('/api/config', { credentials: 'same-origin' }).then((res) => res.json() as Promise<unknown>);
  const requests: BootRequests = { config, me: graphql('Me', BOOT_ME_QUERY, {}) };
  const id = documentIdOf(location.pathname);
  if (id !== undefined) {
    const body = graphql<{ document: BootDocument | null }>('DocumentView', BOOT_DOCUMENT_QUERY, { id });
    requests.document = { id, body };
    const studyUid = body.then((b) => (b.data?.document?.type === 'IMAGING' ? b.data.document.studyInstanceUid : undefined));
    requests.metadata = studyUid.then(async (uid) => {
      if (!uid) throw new Error('not an imaging document');
      const response = await fetch(...studyMetadataRequest(uid));
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return { studyUid: uid, dicomwebRoot: DICOMWEB_ROOT, instances: (await response.json()) as unknown };
    });
    Promise.all([config, studyUid]).then(
      ([c, uid]) => {
        const viewerUrl = (c as { viewerUrl?: unknown }).viewerUrl;
        if (!uid || typeof viewerUrl !== 'string') return;
        const link = document.createElement('link');
        link.rel = 'modulepreload';
        link.href = viewerUrl;
        document.head.append(link);
      },
      () => undefined, // no preload: the page imports the viewer itself
    );
  }
  // Each answer is taken over by the shell, which reports its errors; none is left unhandled here.
  for (const p of [requests.config, requests.me, requests.document?.body, requests.metadata]) p?.catch(() => undefined);
  return requests;
}

window.__emageBoot = boot();
