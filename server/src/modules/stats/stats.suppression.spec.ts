import { describe, expect, it } from 'vitest';
import { suppress, type Cell } from './stats.suppression.js';

const cell = (key: string, value: number, margins: string[] = ['total']): Cell => ({ key, value, margins });

describe('small-cell suppression', () => {
  it('hides nothing when every group has at least 5', () => {
    expect(suppress([cell('a', 5), cell('b', 12)])).toEqual(new Set());
  });

  it('hides a small group and, since total minus the rest would reveal it, the smallest other group', () => {
    expect(suppress([cell('a', 3), cell('b', 9), cell('c', 6), cell('d', 40)])).toEqual(new Set(['a', 'c']));
  });

  it('two small groups adding up to less than 5 still need a third', () => {
    expect(suppress([cell('a', 1), cell('b', 2), cell('c', 7), cell('d', 8)])).toEqual(new Set(['a', 'b', 'c']));
  });

  it('two small groups adding up to 5 or more protect each other', () => {
    expect(suppress([cell('a', 2), cell('b', 3), cell('c', 7)])).toEqual(new Set(['a', 'b']));
  });

  it('propagates across margins until every margin holds (2 × 2 table)', () => {
    // rows r1, r2; columns c1, c2. Hiding r1c1 forces one more in row r1 and in column c1,
    // and those in turn force the opposite corner.
    const cells = [
      cell('r1c1', 2, ['r1', 'c1']), cell('r1c2', 10, ['r1', 'c2']),
      cell('r2c1', 11, ['r2', 'c1']), cell('r2c2', 12, ['r2', 'c2']),
    ];
    expect(suppress(cells)).toEqual(new Set(['r1c1', 'r1c2', 'r2c1', 'r2c2']));
  });

  it('is deterministic on ties', () => {
    const a = suppress([cell('x', 1), cell('b', 6), cell('a', 6)]);
    const b = suppress([cell('a', 6), cell('x', 1), cell('b', 6)]);
    expect(a).toEqual(new Set(['x', 'a']));
    expect(b).toEqual(a);
  });

  it('after suppression, no margin hides exactly one cell or less than 5 in all (random tables)', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 200; round++) {
      const cells: Cell[] = [];
      for (let r = 0; r < 4; r++) for (let c = 0; c < 5; c++) cells.push(cell(`${r}:${c}`, 1 + Math.floor(rand() * 12), [`r${r}`, `c${c}`, 'all']));
      const hidden = suppress(cells);
      for (const m of new Set(cells.flatMap((x) => x.margins))) {
        const inMargin = cells.filter((x) => x.margins.includes(m));
        const h = inMargin.filter((x) => hidden.has(x.key));
        const visible = inMargin.length - h.length;
        if (h.length > 0 && visible > 0) {
          expect(h.length).toBeGreaterThanOrEqual(2);
          expect(h.reduce((s, x) => s + x.value, 0)).toBeGreaterThanOrEqual(5);
        }
      }
      for (const x of cells) if (x.value < 5) expect(hidden.has(x.key)).toBe(true);
    }
  });
});
