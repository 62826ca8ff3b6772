import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dictionaryVr, resolveAmbiguousVr } from './dictionary.js';
// @ts-expect-error the generator is a plain .mjs script without type declarations
import { generateDictionarySource } from './scripts/generate-dictionary.mjs';

describe('the VR dictionary', () => {
  it('is what the generator writes today (regenerate with scripts/generate-dictionary.mjs)', () => {
    const committed = readFileSync(fileURLToPath(new URL('./dictionary.generated.ts', import.meta.url)), 'utf8');
    expect(committed).toBe((generateDictionarySource as () => string)());
  });

  it('knows the attributes viewers and QIDO need', () => {
    expect(dictionaryVr('x00100010')).toBe('PN');
    expect(dictionaryVr('00280030')).toBe('DS');
    expect(dictionaryVr('0020000D')).toBe('UI');
    expect(dictionaryVr('00281050')).toBe('DS');
    expect(dictionaryVr('00540016')).toBe('SQ');
    expect(dictionaryVr('7FE00010')).toBe('OB|OW');
  });

  it('resolves group lengths, private creators, repeating groups and ambiguous VRs', () => {
    expect(dictionaryVr('00180000')).toBe('UL');
    expect(dictionaryVr('00290010')).toBe('LO');
    expect(dictionaryVr('00291010')).toBeUndefined();
    expect(dictionaryVr('60023000')).toBe(dictionaryVr('60003000'));
    expect(dictionaryVr('60003000')).toBe('OB|OW');
    expect(resolveAmbiguousVr('US|SS', 1)).toBe('SS');
    expect(resolveAmbiguousVr('US|SS', 0)).toBe('US');
    expect(resolveAmbiguousVr('OB|OW', undefined)).toBe('OW');
  });
});
