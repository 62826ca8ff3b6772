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
 * Deterministic: cells are taken in key order and ties broken on the key, so the same data
 * always gives the same pattern, whichever query asked (margins never cross a block, so cells of
 * other blocks in the same answer change nothing). Incremental (each margin keeps its hidden
 * count and sum), so a year of days by centre is suppressed in milliseconds.
 */
export function suppress(cells: Cell[], threshold = SUPPRESSION_THRESHOLD): Set<string> {
  interface Margin {
    cells: Cell[];
    hiddenCount: number;
    hiddenSum: number;
    /** Cells before this index are all hidden: the next candidate is at or after it. */
    next: number;
  }
  const ordered = [...cells].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const hidden = new Set<string>();
  const margins = new Map<string, Margin>();
  const marginsOf = new Map<string, Margin[]>();
  for (const cell of ordered) {
    const own: Margin[] = [];
    for (const key of cell.margins) {
      let m = margins.get(key);
      if (!m) {
        m = { cells: [], hiddenCount: 0, hiddenSum: 0, next: 0 };
        margins.set(key, m);
      }
      m.cells.push(cell);
      own.push(m);
    }
    marginsOf.set(cell.key, own);
  }
  for (const m of margins.values()) {
    m.cells.sort((a, b) => a.value - b.value || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  // Margins to re-check, each time one of their cells is hidden.
  const pending: Margin[] = [];
  const hide = (cell: Cell): void => {
    hidden.add(cell.key);
    for (const m of marginsOf.get(cell.key)!) {
      m.hiddenCount++;
      m.hiddenSum += cell.value;
      pending.push(m);
    }
  };
  for (const cell of ordered) if (cell.value > 0 && cell.value < threshold) hide(cell);
  while (pending.length > 0) {
    const m = pending.pop()!;
    while (m.hiddenCount > 0 && !(m.hiddenCount >= 2 && m.hiddenSum >= threshold)) {
      while (m.next < m.cells.length && hidden.has(m.cells[m.next]!.key)) m.next++;
      if (m.next >= m.cells.length) break;
      hide(m.cells[m.next]!);
    }
  }
  return hidden;
}
