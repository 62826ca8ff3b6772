import type { ApolloClient } from '@apollo/client/core';
import type { RouteLocationNormalized } from 'vue-router';
import { takeBootRequest } from '@/app/boot-requests';
import { preloadStudyMetadata } from '@/features/viewer/study-metadata';
import { preloadViewerModule } from '@/features/viewer/viewer-module';
import { graphql } from '@/gql';
import type { DocumentViewQuery } from '@/gql/graphql';

export const DOCUMENT_VIEW = graphql(`
  query DocumentView($id: ID!) {
    document(id: $id) { id type title date reportUrl studyInstanceUid exam { id title patientId } }
  }
`);

/** What the page's cache knows of a document when the patient's record listed it. */
const DOCUMENT_KIND = graphql(`
  fragment DocumentKind on Document { id type studyInstanceUid }
`);

/** The document a full page load opened, and when its answer is in the Apollo cache (or failed). */
interface Preload {
  id: string;
  settled: Promise<void>;
  /** True once `settled` has: the page can read the cache in its first render. */
  done: boolean;
}
let preloaded: Preload | undefined;

/** The boot script's request for this document (src/boot.ts), its answer written into the cache. */
function fromBoot(id: string, apollo: ApolloClient<unknown>): Promise<unknown> | undefined {
  const boot = takeBootRequest('document');
  if (boot?.id !== id) return undefined;
  return boot.body.then((body) => {
    if (body.data && !body.errors?.length) apollo.writeQuery({ query: DOCUMENT_VIEW, variables: { id }, data: body.data as DocumentViewQuery });
  });
}

/**
 * What a document's page asks for first, started when the navigation to it starts.
 *
 * A document opened by a full page load (a new tab, a pop-up, a link in a notification) is asked
 * for at page start, alongside the session and the runtime configuration (by the boot script,
 * which also shows an imaging document's first image, when it did), rather than once the page has
 * rendered. Without a session the answer is an error, which the page does not keep:
 * it asks again after the login.
 *
 * A document opened inside the page (`inApp`, from the patient's record) is asked for while the
 * router downloads the page's code, unless the cache can already show it. When the record told the
 * cache it is an imaging document, the viewer bundle and the study's metadata are asked for at
 * the same moment (the boot script's work on a full load), not once the page has its answer.
 */
export function preloadDocument(route: Pick<RouteLocationNormalized, 'params'>, apollo: ApolloClient<unknown>, inApp = false): void {
  const id = route.params.docId;
  if (typeof id !== 'string') return;
  if (inApp) {
    const known = apollo.cache.readFragment({ id: apollo.cache.identify({ __typename: 'Document', id }), fragment: DOCUMENT_KIND });
    preloadViewerModule(known?.type);
    if (known?.type === 'IMAGING' && known.studyInstanceUid) preloadStudyMetadata(id, known.studyInstanceUid);
    if (apollo.cache.readQuery({ query: DOCUMENT_VIEW, variables: { id } })) return; // the page shows the cache at once
  }
  const answer = (inApp ? undefined : fromBoot(id, apollo)) ?? apollo.query({ query: DOCUMENT_VIEW, variables: { id }, fetchPolicy: 'network-only' });
  const preload: Preload = { id, done: false, settled: Promise.resolve() };
  const settle = () => void (preload.done = true);
  preload.settled = answer.then(settle, settle);
  preloaded = preload;
}

/**
 * For the document preloadDocument asked for, once: when its answer is in the cache (or failed),
 * which the page waits for and then reads the cache instead of asking again.
 */
export function takePreloadedDocument(id: string): Omit<Preload, 'id'> | undefined {
  if (preloaded?.id !== id) return undefined;
  const preload = preloaded;
  preloaded = undefined;
  return preload;
}
