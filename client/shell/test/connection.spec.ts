import { describe, expect, it } from 'vitest';
import { appendPage } from '../src/app/connection';

describe('appendPage: "Afficher plus" on a cursor connection', () => {
  const page = (ids: string[], endCursor: string, hasNextPage: boolean) => ({
    patients: { edges: ids.map((id) => ({ cursor: id, node: { id } })), pageInfo: { endCursor, hasNextPage } },
  });

  it('puts the next page’s rows after those on screen, with the next page’s cursor', () => {
    const merged = appendPage('patients')(page(['a', 'b'], 'b', true), { fetchMoreResult: page(['c'], 'c', false) });
    expect(merged.patients.edges.map((e) => e.node.id)).toEqual(['a', 'b', 'c']);
    expect(merged.patients.pageInfo).toEqual({ endCursor: 'c', hasNextPage: false });
  });

  it('keeps the rows on screen when the next page did not come', () => {
    const prev = page(['a'], 'a', true);
    expect(appendPage('patients')(prev, { fetchMoreResult: null })).toBe(prev);
  });
});
