import type { ApolloClient } from '@apollo/client/core';
import type { RouteLocationResolved } from 'vue-router';
import { takeBootRequest } from '@/app/boot-requests';
import { graphql } from '@/gql';
import type { DocumentViewQuery } from '@/gql/graphql';

export const DOCUMENT_VIEW = graphql(`
  query DocumentView($id: ID!) {
    document(id: $id) { id type title date reportUrl studyInstanceUid exam { id title patientId } }
  }
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
 * A document opened by a full page load (a new tab, a pop-up, a link in a notification) is asked
 * for at page start, alongside the session and the runtime configuration (by the boot script,
 * which also shows an imaging document's first image, when it did), rather than once the page has
 * rendered. Without a session the answer is an error, which the page does not keep:
 * it asks again after the login.
 */
export function preloadDocument(route: RouteLocationResolved, apollo: ApolloClient<unknown>): void {
  const id = route.params.docId;
  if (typeof id !== 'string') return;
  const answer = fromBoot(id, apollo) ?? apollo.query({ query: DOCUMENT_VIEW, variables: { id }, fetchPolicy: 'network-only' });
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
