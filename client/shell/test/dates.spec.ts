import { describe, expect, it } from 'vitest';
import { formatDate } from '../src/i18n/dates';

// What Intl writes for each style: dates with the month in words (issue 19), French date and time numeric, day first.
const INTL: Record<'fr' | 'en', Record<'date' | 'dateTime', [string, Intl.DateTimeFormatOptions]>> = {
  fr: {
    date: ['fr', { day: 'numeric', month: 'short', year: 'numeric' }],
    dateTime: ['fr', { day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' }],
  },
  en: {
    date: ['en-GB', { day: 'numeric', month: 'short', year: 'numeric' }],
    dateTime: ['en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }],
  },
};

describe('formatDate', () => {
  it('writes the French and English dates as Intl.DateTimeFormat does, hour by hour over a year', () => {
    const start = new Date(2026, 0, 1, 0, 0).getTime();
    let checked = 0;
    // Every 7 h 13 min for a year: every hour of the day, both sides of noon and midnight, DST changes.
    for (let t = start; t < start + 366 * 86_400_000; t += (7 * 60 + 13) * 60_000) {
      const date = new Date(t);
      for (const style of ['date', 'dateTime'] as const) {
        const [tag, options] = INTL.fr[style];
        expect(formatDate(date, style, 'fr')).toBe(new Intl.DateTimeFormat(tag, options).format(date));
        // English: day, three-letter month, year (CLDR versions disagree on "Sep" / "Sept").
        const [enTag, enOptions] = INTL.en[style];
        expect(formatDate(date, style, 'en').replace(' Sep ', ' Sept ')).toBe(new Intl.DateTimeFormat(enTag, enOptions).format(date).replace(' Sep ', ' Sept '));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(2000);
  });

  it('gives the expected French and English text for a known moment', () => {
    const date = new Date(2026, 10, 20, 21, 5);
    expect(formatDate(date, 'date', 'fr')).toBe('20 nov. 2026');
    expect(formatDate(date, 'dateTime', 'fr')).toBe('20/11/2026 21:05');
    expect(formatDate(date, 'date', 'en')).toBe('20 Nov 2026');
    expect(formatDate(date, 'dateTime', 'en')).toBe('20 Nov 2026, 21:05');
    // A birth date never reads the wrong way round: 12 March 1961.
    expect(formatDate(new Date(1961, 2, 12), 'date', 'en')).toBe('12 Mar 1961');
    expect(formatDate(new Date(1961, 2, 12), 'date', 'fr')).toBe('12 mars 1961');
  });
});
