/**
 * The first script of every page: a few kilobytes that run before the shell's own code (450 kB:
 * Vue, Apollo, the router…) is compiled and evaluated. It sends the requests every page start
 * needs — the runtime configuration and who is signed in — and, when the page opened is a
 * document, that document; so the server answers them while the browser is still busy with the
 * shell, rather than after (docs/adr/0083-first-image-cold-load.md).
 *
 * When that document is an imaging one and a physician is signed in, the boot script also shows
 * its images itself, before the shell renders (docs/adr/0084-boot-viewer.md): it asks for the
 * study's metadata, imports the viewer bundle and mounts it where the document page will hold it
 * (`.boot-viewer` in styles.css). The shell starts rendering once that first image is painted
 * (`shellMayStart`), so the two do not share the main thread before it; the document page then
 * takes the mounted viewer over (ImageViewer.vue) instead of mounting another.
 *
 * The shell takes the other answers over instead of asking again: runtime-config.ts (config),
 * useSession.ts (me) and features/documents/document-query.ts (the document), which write them
 * into the Apollo cache. The query texts are those of the shell's operations as Apollo sends them
 * (with __typename); test/boot.spec.ts checks that they stay the same.
 */
// Only types from the shell: a module both imported would become a chunk of its own, a request
// more before the boot script could run.
import { BOOT_DOCUMENT_QUERY, BOOT_ME_QUERY, DICOMWEB_ROOT, DOCUMENT_PATH, bootLocale, fetchStudyMetadata, type GraphQLBody } from './boot-queries';
import type { ViewerError, ViewerHandle, ViewerModule } from './features/viewer/viewer-contract';
import type { Locale } from './i18n/stored-locale';

/** What the boot script sent; the shell takes each one over once (app/boot-requests.ts). */
export interface BootRequests {
  config?: Promise<unknown>;
  me?: Promise<GraphQLBody<{ me: { role?: string } | null }>>;
  document?: { id: string; body: Promise<GraphQLBody<{ document: BootDocument | null }>> };
  /** The viewer the boot script mounts for an imaging document, until the document page takes it. */
  viewer?: BootViewerSlot;
}

interface BootDocument {
  type: string;
  studyInstanceUid?: string | null;
}

/** A viewer mounted by the boot script, in an element of its own (`element`). */
export interface BootViewer {
  studyUid: string;
  dicomwebRoot: string;
  locale: Locale;
  element: HTMLElement;
  handle: ViewerHandle;
  /** The errors it reported so far; later ones go to `onError` once a page has set it. */
  errors: ViewerError[];
  onError?: (e: ViewerError) => void;
  /** The user's input in the viewer, once a page has set it (the session's reading activity). */
  onActivity?: () => void;
  /** Lets the viewer start what follows its first image: the page around it is rendered. */
  release(): void;
}

export interface BootViewerSlot {
  documentId: string;
  /** The mounted viewer; undefined when the boot script decided not to mount one. */
  mounted: Promise<BootViewer | undefined>;
  /** Unmounts it (or keeps it from mounting): the page opened is not its document after all. */
  discard(): void;
}

/** How long after navigation start the shell waits at most for the boot viewer's first image. */
const SHELL_HOLD_MAX_MS = 1500;
/** How long after its first image the boot viewer waits at most for the page to take it over. */
const RELEASE_MAX_MS = 1000;

/**
 * Runs the shell's entry, which index.html only preloads (`data-emage-shell`, see vite.config.ts);
 * without one (the development server), the page's own script tag runs it.
 */
function startShell(): void {
  const run = () => {
    const entry = document.querySelector<HTMLLinkElement>('link[data-emage-shell]');
    if (entry) void import(/* @vite-ignore */ entry.href);
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', run, { once: true });
  else run();
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

/**
 * Mounts the viewer for the imaging document `documentId` once the configuration, the session and
 * the document are known, if a physician is signed in and the document is an imaging one: the
 * document routes' own conditions (features/documents/routes.ts), so the shell's page will take
 * this viewer over. Resolves when the shell may start: once the first image is painted, the
 * viewer failed or was not mounted, or after SHELL_HOLD_MAX_MS at most.
 */
function bootViewer(
  requests: BootRequests,
  documentId: string,
  answers: [config: Promise<unknown>, me: NonNullable<BootRequests['me']>, studyUid: Promise<string | undefined>],
  metadata: Promise<unknown>,
  locale: Locale, // read while the requests travel: a browser's first storage read takes a while
): Promise<void> {
  let discarded = false;
  let viewer: BootViewer | undefined;
  let firstImage!: () => void;
  const painted = new Promise<void>((resolve) => (firstImage = resolve));
  const mounted = Promise.all(answers).then(async ([config, me, uid]) => {
    const viewerUrl = (config as { viewerUrl?: unknown }).viewerUrl;
    if (discarded || !uid || me.data?.me?.role !== 'PHYSICIAN' || typeof viewerUrl !== 'string') return undefined;
    const module = (await import(/* @vite-ignore */ viewerUrl)) as Partial<ViewerModule>;
    if (typeof module.mount !== 'function') throw new Error('viewer bundle without mount()');
    if (discarded) return undefined;
    const element = document.createElement('div');
    // Placed where the document page will hold it: in reading mode, under its bar (styles.css) — the
    // stand-alone page always, a phone too (features/documents/reading-mode.ts and its PHONE_QUERY).
    const reading = location.pathname.startsWith('/documents/') || window.matchMedia('(max-width: 640px)').matches;
    element.className = reading ? 'boot-viewer boot-viewer-reading' : 'boot-viewer';
    document.body.append(element);
    const errors: ViewerError[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const handle = module.mount(element, {
      dicomwebRoot: DICOMWEB_ROOT,
      studyUid: uid,
      metadata,
      locale,
      // The rest of the viewer's work (the series in the background, thumbnails, tools) waits for
      // the page to render around it, which takes it over (ImageViewer.vue), or 1 s at most.
      holdAfterFirstImage: held,
      onFirstImage: () => {
        firstImage();
        setTimeout(release, RELEASE_MAX_MS);
      },
      onActivity: () => viewer?.onActivity?.(),
      onError: (e) => {
        errors.push(e);
        firstImage();
        viewer?.onError?.(e);
      },
    });
    viewer = { studyUid: uid, dicomwebRoot: DICOMWEB_ROOT, locale, element, handle, errors, release };
    return viewer;
  });
  requests.viewer = {
    documentId,
    mounted: mounted.catch(() => undefined), // the page mounts a viewer of its own
    discard() {
      discarded = true;
      viewer?.handle.destroy();
      viewer?.element.remove();
      viewer = undefined;
    },
  };
  const never = new Promise<void>(() => undefined);
  // Not an imaging document (a report, an error): the shell starts at once, without waiting for the rest.
  const notImaging = answers[2].then((uid) => (uid ? never : undefined), () => undefined);
  const noViewer = mounted.then((v) => (v ? never : undefined), () => undefined);
  const atMost = new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, SHELL_HOLD_MAX_MS - performance.now())));
  return Promise.race([painted, notImaging, noViewer, atMost]);
}

function boot(): BootRequests {
  const config = fetch('/api/config', { credentials: 'same-origin' }).then((res) => res.json() as Promise<unknown>);
  const me: NonNullable<BootRequests['me']> = graphql('Me', BOOT_ME_QUERY, {});
  const requests: BootRequests = { config, me };
  const id = documentIdOf(location.pathname);
  if (id !== undefined) {
    const body = graphql<{ document: BootDocument | null }>('DocumentView', BOOT_DOCUMENT_QUERY, { id });
    requests.document = { id, body };
    const studyUid = body.then((b) => (b.data?.document?.type === 'IMAGING' ? b.data.document.studyInstanceUid ?? undefined : undefined));
    // The study's metadata, for the viewer mounted below (which asks itself if this failed).
    const metadata = studyUid.then((uid) => {
      if (!uid) throw new Error('not an imaging document');
      return fetchStudyMetadata(uid);
    });
    metadata.catch(() => undefined);
    shellMayStart = bootViewer(requests, id, [config, me, studyUid], metadata, bootLocale());
  }
  // Each answer is taken over by the shell, which reports its errors; none is left unhandled here.
  for (const p of [requests.config, requests.me, requests.document?.body]) p?.catch(() => undefined);
  return requests;
}

let shellMayStart = Promise.resolve();
try {
  window.__emageBoot = boot();
} finally {
  // Whatever happened above, the shell starts (and asks for what the boot script did not).
  void shellMayStart.then(startShell, startShell);
}
