import { useI18n } from 'vue-i18n';

export type DateStyle = 'date' | 'dateTime';

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * The shell's two date styles, in the browser's time zone, exactly as Intl.DateTimeFormat writes
 * them for French ("20/11/2026 09:05") and English ("11/20/2026, 09:05 AM") with two-digit day,
 * month, hour and minute — but without Intl: the first Intl date format a page makes loads the
 * ICU locale and time-zone data, 20–27 ms of main thread in the cold-load profiles, which every
 * full page load paid before its first page could render (docs/adr/0083-first-image-cold-load.md).
 */
export function formatDate(value: Date, style: DateStyle, locale: string): string {
  const en = locale === 'en';
  const day = pad(value.getDate());
  const month = pad(value.getMonth() + 1);
  const date = en ? `${month}/${day}/${value.getFullYear()}` : `${day}/${month}/${value.getFullYear()}`;
  if (style === 'date') return date;
  const hours = value.getHours();
  const minutes = pad(value.getMinutes());
  return en ? `${date}, ${pad(hours % 12 || 12)}:${minutes} ${hours < 12 ? 'AM' : 'PM'}` : `${date} ${pad(hours)}:${minutes}`;
}

/** `d(date, 'date' | 'dateTime')` in the page's current language, for templates. */
export function useDates(): { d: (value: Date, style: DateStyle) => string } {
  const { locale } = useI18n();
  return { d: (value, style) => formatDate(value, style, locale.value) };
}
