/**
 * Apollo's `updateQuery` for a "show more" button on a cursor connection (`field` of the query):
 * the next page's edges after those already on screen, with the next page's pageInfo.
 */
export function appendPage<F extends string>(field: F) {
  return <Q extends { [K in F]: { edges: readonly unknown[] } }>(prev: Q, { fetchMoreResult }: { fetchMoreResult?: Q | null }): Q =>
    fetchMoreResult ? ({ ...prev, [field]: { ...fetchMoreResult[field], edges: [...prev[field].edges, ...fetchMoreResult[field].edges] } } as Q) : prev;
}
