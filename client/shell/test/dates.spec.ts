import { describe, expect, it } from 'vitest';
import { formatDate } from '../src/i18n/dates';

// What the shell showed before it stopped using Intl for dates: vue-i18n's `d` with these formats.
const INTL_OPTIONS = {
  date: { day: '2-digit', month: '2-digit', year: 'numeric' },
  dateTime: { day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' },
} as const;

describe('formatDate', () => {
  it('writes the French and English dates as Intl.DateTimeFormat does, hour by hour over a year', () => {
    const start = new Date(2026, 0, 1, 0, 0).getTime();
    let checked = 0;
    // Every 7 h 13 min for a year: every hour of the day, both sides of noon and midnight, DST changes.
    for (let t = start; t < start + 366 * 86_400_000; t += (7 * 60 + 13) * 60_000) {
      const date = new Date(t);
      for (const locale of ['fr', 'en'] as const) {
        for (const style of ['date', 'dateTime'] as const) {
          expect(formatDate(date, style, locale)).toBe(new Intl.DateTimeFormat(locale, INTL_OPTIONS[style]).format(date));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(4000);
  });

  it('gives the expected French and English text for a known moment', () => {
    const date = new Date(2026, 10, 20, 21, 5);
    expect(formatDate(date, 'date', 'fr')).toBe('20/11/2026');
    expect(formatDate(date, 'dateTime', 'fr')).toBe('20/11/2026 21:05');
    expect(formatDate(date, 'date', 'en')).toBe('11/20/2026');
    expect(formatDate(date, 'dateTime', 'en')).toBe('11/20/2026, 09:05 PM');
  });
});
