import { describe, expect, it } from 'vitest';
import {
  finessWithCheckDigit,
  isValidFiness,
  isValidNir,
  isValidRpps,
  luhnCheckDigit,
  nirKey,
  rppsWithCheckDigit,
} from './identifiers.js';

/** Every single-digit substitution of a valid number: Luhn must catch all of them. */
function substitutions(s: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i++) {
    for (let d = 0; d <= 9; d++) {
      const c = String(d);
      if (c !== s[i]) out.push(s.slice(0, i) + c + s.slice(i + 1));
    }
  }
  return out;
}

describe('Luhn', () => {
  it('matches the textbook example 7992739871 → 3', () => {
    expect(luhnCheckDigit('7992739871')).toBe('3');
  });
});

describe('RPPS', () => {
  it('accepts well-formed numbers with their Luhn key', () => {
    expect(isValidRpps('79927398713')).toBe(true);
    expect(isValidRpps(rppsWithCheckDigit('1000000000'))).toBe(true);
    expect(rppsWithCheckDigit('1000000000')).toBe('10000000009');
  });

  it('rejects every single-digit substitution and adjacent transposition', () => {
    const valid = rppsWithCheckDigit('1012345678');
    for (const m of substitutions(valid)) expect(isValidRpps(m), m).toBe(false);
    for (let i = 0; i < valid.length - 1; i++) {
      const t = valid.slice(0, i) + valid[i + 1] + valid[i] + valid.slice(i + 2);
      // Luhn cannot see the 0↔9 swap, a known property of the algorithm.
      const swapsZeroNine = /^(09|90)$/.test(valid.slice(i, i + 2));
      if (t !== valid && !swapsZeroNine) expect(isValidRpps(t), t).toBe(false);
    }
  });

  it('rejects wrong lengths and non-digits', () => {
    expect(isValidRpps('7992739871')).toBe(false);
    expect(isValidRpps('799273987130')).toBe(false);
    expect(isValidRpps('7992739871a')).toBe(false);
    expect(isValidRpps(' 79927398713')).toBe(false);
    expect(isValidRpps('')).toBe(false);
    expect(() => rppsWithCheckDigit('123')).toThrow(RangeError);
  });
});

describe('FINESS', () => {
  it('accepts published numbers (AP-HP, CHRU de Nancy legal entities)', () => {
    expect(isValidFiness('750712184')).toBe(true);
    expect(isValidFiness('540023264')).toBe(true);
  });

  it('computes the key over the first 8 digits', () => {
    expect(finessWithCheckDigit('75071218')).toBe('750712184');
    expect(finessWithCheckDigit('54002326')).toBe('540023264');
  });

  it('rejects mutations, wrong lengths and letters outside the Corsican prefix', () => {
    for (const m of substitutions('540023264')) expect(isValidFiness(m), m).toBe(false);
    expect(isValidFiness('54002326')).toBe(false);
    expect(isValidFiness('5400232640')).toBe(false);
    expect(isValidFiness('54002326X')).toBe(false);
    expect(isValidFiness('2C0000000')).toBe(false);
  });

  it('accepts Corsican 2A/2B numbers on their shape (key rule unpublished)', () => {
    expect(isValidFiness('2A0000014')).toBe(true);
    expect(isValidFiness('2B000001')).toBe(false);
    expect(() => finessWithCheckDigit('2A000001')).toThrow(RangeError);
  });
});

describe('NIR', () => {
  it('computes the key as 97 − n mod 97', () => {
    // 1 89 12 75 125 012 → key 82 (worked example: 1891275125012 mod 97 = 15).
    expect(nirKey('1891275125012')).toBe('82');
    expect(isValidNir('189127512501282')).toBe(true);
  });

  it('applies the Corsican substitution 2A → 19 and 2B → 18', () => {
    const corse = `2850${'1'}2A004123`;
    expect(corse).toHaveLength(13);
    const key = String(97n - (BigInt('2850119004123') % 97n)).padStart(2, '0');
    expect(nirKey(corse)).toBe(key);
    expect(isValidNir(corse + key)).toBe(true);
  });

  it('rejects mutations and malformed numbers', () => {
    for (const m of substitutions('189127512501282')) expect(isValidNir(m), m).toBe(false);
    expect(isValidNir('18912751250128')).toBe(false);
    expect(isValidNir('589127512501282')).toBe(false);
  });
});
