/** Where the chosen interface language is kept in the browser (also read by the boot script). */
export const LOCALE_KEY = 'emage.locale';

export type Locale = 'fr' | 'en';

/** The language chosen on this browser; French unless English was chosen. */
export function storedLocale(): Locale {
  try {
    return localStorage.getItem(LOCALE_KEY) === 'en' ? 'en' : 'fr';
  } catch {
    return 'fr'; // storage disabled by the browser's settings
  }
}
