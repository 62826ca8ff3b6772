/**
 * Small-cell suppression for the analysts' figures (ADR 0071). Pure: cells in, the set of
 * cells to hide out, so the rule can be read and tested apart from SQL.
 */

/** A group smaller than this is never shown. */
export const SUPPRESSION_THRESHOLD = 5;

export interface Cell {
  /** Stable identity of the cell (period and dimension values); ties are broken on it. */
  key: string;
  value: number;
  /**
   * The sums an analyst can obtain from other queries and subtract this cell's neighbours
   * from: the enclosing month, year, the same period without one dimension, …
   */
  margins: string[];
}

/**
 * Returns the keys of the cells to hide.
 * 1. Primary: every cell with 0 < value < threshold.
 * 2. Complementary: in every margin that hides anything, at least two cells are hidden and the
 *    hidden cells add up to at least the threshold; otherwise the smallest visible cell of the
 *    margin is hidden too, and so on until every margin holds (a fixpoint: hiding a cell can
 *    break another margin it belongs to).
 * Deterministic (ties on the key), so the same data always gives the same pattern, whichever
 * query asked.
 */
export function suppress(cells: Cell[], threshold = SUPPRESSION_THRESHOLD): Set<string> {
  const hidden = new Set<string>();
  const byMargin = new Map<string, Cell[]>();
  for (const cell of cells) {
    if (cell.value > 0 && cell.value < threshold) hidden.add(cell.key);
    for (const m of cell.margins) {
      const list = byMargin.get(m);
      if (list) list.push(cell);
      else byMargin.set(m, [cell]);
    }
  }
  for (const list of byMargin.values()) {
    list.sort((a, b) => a.value - b.value || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
  let changed = hidden.size > 0;
  while (changed) {
    changed = false;
    for (const list of byMargin.values()) {
      for (;;) {
        let count = 0;
        let sum = 0;
        for (const c of list) {
          if (hidden.has(c.key)) {
            count++;
            sum += c.value;
          }
        }
        if (count === 0 || (count >= 2 && sum >= threshold)) break;
        const next = list.find((c) => !hidden.has(c.key));
        if (!next) break;
        hidden.add(next.key);
        changed = true;
      }
    }
  }
  return hidden;
}
