import { useI18n } from 'vue-i18n';

export type DateStyle = 'date' | 'dateTime';

const pad = (n: number) => String(n).padStart(2, '0');

/** Abbreviated month names as Intl writes them for fr and en-GB ("month: 'short'"). */
const MONTHS: Record<'fr' | 'en', readonly string[]> = {
  fr: ['janv.', 'févr.', 'mars', 'avr.', 'mai', 'juin', 'juil.', 'août', 'sept.', 'oct.', 'nov.', 'déc.'],
  en: ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'],
};

/**
 * The shell's two date styles, in the browser's time zone. A date is written with its month in
 * words (« 12 mars 1961 », "12 Mar 1961"): 03/12/1961 is the 3rd of December to a French reader
 * and March 12th to an American one, and a birth date read the wrong way round mixes up patients
 * (issue 19). A date and time in French keeps the numeric form (« 20/11/2026 09:05 », day first,
 * as French readers expect it); in English it is "20 Nov 2026, 21:05". Each is exactly what
 * Intl.DateTimeFormat writes (fr; en-GB), but written without Intl: the first Intl date format a
 * page makes loads the ICU locale and time-zone data, 20–27 ms of main thread in the cold-load
 * profiles (docs/adr/0083-first-image-cold-load.md).
 */
export function formatDate(value: Date, style: DateStyle, locale: string): string {
  const en = locale === 'en';
  const hours = pad(value.getHours());
  const minutes = pad(value.getMinutes());
  if (style === 'dateTime' && !en) return `${pad(value.getDate())}/${pad(value.getMonth() + 1)}/${value.getFullYear()} ${hours}:${minutes}`;
  const date = `${value.getDate()} ${MONTHS[en ? 'en' : 'fr'][value.getMonth()]} ${value.getFullYear()}`;
  return style === 'date' ? date : `${date}, ${hours}:${minutes}`;
}

/** `d(date, 'date' | 'dateTime')` in the page's current language, for templates. */
export function useDates(): { d: (value: Date, style: DateStyle) => string } {
  const { locale } = useI18n();
  return { d: (value, style) => formatDate(value, style, locale.value) };
}
