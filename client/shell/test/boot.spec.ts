import { addTypenameToDocument } from '@apollo/client/utilities';
import { parse, print, type DocumentNode } from 'graphql';
import { createMemoryHistory, createRouter } from 'vue-router';
import { describe, expect, it, vi } from 'vitest';
import { BOOT_DOCUMENT_QUERY, BOOT_ME_QUERY, DOCUMENT_PATH, bootLocale } from '../src/boot-queries';
import { storedLocale } from '../src/i18n/stored-locale';
import routes from '../src/features/documents/routes';
import { DocumentViewDocument, MeDocument } from '../src/gql/graphql';

// The boot script's answers go into the Apollo cache under the shell's own queries: they must ask
// exactly what the shell asks, as Apollo sends it (with __typename), or the pages would read
// incomplete data from the cache.
const asApolloSends = (doc: DocumentNode) => print(addTypenameToDocument(doc));

describe('boot script', () => {
  it('asks who is signed in with the shell’s Me query', () => {
    expect(print(parse(BOOT_ME_QUERY))).toBe(asApolloSends(MeDocument));
  });

  it('asks for the document with the shell’s DocumentView query', () => {
    expect(print(parse(BOOT_DOCUMENT_QUERY))).toBe(asApolloSends(DocumentViewDocument));
  });

  it('recognises the document pages the router opens, and only those', () => {
    const router = createRouter({ history: createMemoryHistory(), routes: [...routes, { path: '/:other(.*)*', component: {} }] });
    for (const path of ['/documents/d-1', '/patients/p-1/documents/d-1', '/documents/d%20x']) {
      const route = router.resolve(path);
      expect(route.name, path).toMatch(/^(record-)?document$/);
      expect(decodeURIComponent(DOCUMENT_PATH.exec(path)?.[1] ?? ''), path).toBe(route.params.docId);
    }
    for (const path of ['/', '/patients/p-1', '/documents', '/partages', '/documents/d-1/x']) {
      expect(DOCUMENT_PATH.test(path), path).toBe(false);
      expect(router.resolve(path).params.docId, path).toBeUndefined();
    }
  });

  it('mounts its viewer in the language the shell will use', () => {
    const stored = new Map<string, string>();
    vi.stubGlobal('localStorage', { getItem: (k: string) => stored.get(k) ?? null });
    try {
      for (const value of [undefined, 'fr', 'en', 'de', '']) {
        stored.clear();
        if (value !== undefined) stored.set('emage.locale', value);
        expect(bootLocale(), String(value)).toBe(storedLocale());
      }
      expect(bootLocale()).toBe('fr');
      stored.set('emage.locale', 'en');
      expect(bootLocale()).toBe('en');
      vi.stubGlobal('localStorage', { getItem: () => { throw new Error('storage disabled'); } });
      expect(bootLocale()).toBe(storedLocale());
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
