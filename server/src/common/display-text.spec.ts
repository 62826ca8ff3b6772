import { describe, expect, it } from 'vitest';
import { cleanDisplayText, isPersonName } from './display-text.js';

describe('display text (ADR 0097: what a name or a title may hold)', () => {
  it('is stored in NFC, with every kind of space as one plain space', () => {
    const decomposed = 'He\u0301le\u0300ne';
    expect(decomposed).not.toBe('Hélène');
    expect(cleanDisplayText(decomposed)).toEqual({ text: 'Hélène' });
    expect(cleanDisplayText('  Le\u00a0Gall\u2009\u3000Dupont \t\n')).toEqual({ text: 'Le Gall Dupont' });
    expect(cleanDisplayText('Dupont\u2028Moreau')).toEqual({ text: 'Dupont Moreau' });
  });

  it('keeps the letters, marks and punctuation of real names in any script', () => {
    for (const name of ['Nguyễn', 'Œhmichen', 'D’Aubigné', "O'Neil", 'Marie-Thérèse', 'Jr.', 'Łukasz', 'Ørsted', 'Ἀθηνᾶ', 'Мария', 'محمد', '山田', 'देवनागरी', 'X 12']) {
      expect(cleanDisplayText(name)).toEqual({ text: name.normalize('NFC') });
    }
  });

  it('refuses bidi overrides, zero-width and other invisible characters, naming the code point', () => {
    expect(cleanDisplayText('Dupont\u202Etnomel')).toEqual({ problem: 'INVISIBLE', codePoint: 'U+202E' });
    expect(cleanDisplayText('Du\u200Bpont')).toEqual({ problem: 'INVISIBLE', codePoint: 'U+200B' });
    expect(cleanDisplayText('Dupont\u2066Martin\u2069')).toEqual({ problem: 'INVISIBLE', codePoint: 'U+2066' });
    expect(cleanDisplayText('Du\u00ADpont')).toEqual({ problem: 'INVISIBLE', codePoint: 'U+00AD' });
    expect(cleanDisplayText('Dupont\u200D')).toEqual({ problem: 'INVISIBLE', codePoint: 'U+200D' });
    expect(cleanDisplayText('Dupont\u001B[31m')).toEqual({ problem: 'INVISIBLE', codePoint: 'U+001B' });
    expect(cleanDisplayText('Dupont\u0000')).toEqual({ problem: 'INVISIBLE', codePoint: 'U+0000' });
    expect(cleanDisplayText('Dupont\uE000')).toEqual({ problem: 'INVISIBLE', codePoint: 'U+E000' });
    expect(cleanDisplayText('Dupont\uD800')).toEqual({ problem: 'INVISIBLE', codePoint: 'U+D800' });
  });

  it('refuses a combining mark that follows no letter, and stacked marks', () => {
    expect(cleanDisplayText('\u0301Dupont')).toEqual({ problem: 'DETACHED_MARK' });
    expect(cleanDisplayText('Jean \u0308Dupont')).toEqual({ problem: 'DETACHED_MARK' });
    expect(cleanDisplayText('Du\u0300\u0301\u0302\u0303\u0304pont')).toEqual({ problem: 'STACKED_MARKS' });
  });

  it('a person’s name needs a letter', () => {
    expect(isPersonName('Dupont')).toBe(true);
    expect(isPersonName('山田')).toBe(true);
    expect(isPersonName('-- . --')).toBe(false);
    expect(isPersonName('12345')).toBe(false);
  });
});
