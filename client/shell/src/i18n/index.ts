import { createI18n } from 'vue-i18n';
import common from './common.js';
import { LOCALE_KEY, storedLocale, type Locale } from './stored-locale';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Messages = Record<string, any>;
interface FeatureMessages {
  fr: Messages;
  en: Messages;
}

// Each feature folder brings its own messages.ts ({ fr, en }), merged here under the feature's
// name, so features never edit a shared dictionary.
const features = import.meta.glob<{ default: FeatureMessages }>('../features/*/messages.ts', { eager: true });

function build(locale: 'fr' | 'en'): Messages {
  const out: Messages = { ...common[locale] };
  for (const [file, mod] of Object.entries(features)) {
    const name = /features\/([^/]+)\//.exec(file)?.[1];
    if (name) out[name] = mod.default[locale];
  }
  return out;
}

export type { Locale };
export const initialLocale: Locale = storedLocale();

/**
 * French puts 0 and 1 in the singular (« 0 tentative », « 1 tentative », « 2 tentatives »);
 * vue-i18n's default rule is English's, which says « 0 tentatives ». Messages with three
 * forms (none | one | many) keep the default choice.
 */
function frenchPlural(choice: number, choicesLength: number): number {
  const n = Math.abs(choice);
  if (choicesLength === 2) return n <= 1 ? 0 : 1;
  return Math.min(n, 2);
}

const options = {
  legacy: false,
  locale: initialLocale,
  fallbackLocale: 'fr',
  pluralRules: { fr: frenchPlural },
  messages: { fr: build('fr'), en: build('en') },
} as const;
// The messages are assembled at run time, so the dictionary is typed loosely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const i18n = createI18n(options as any);

export function setLocale(locale: Locale): void {
  (i18n.global.locale as unknown as { value: Locale }).value = locale;
  localStorage.setItem(LOCALE_KEY, locale);
  document.documentElement.lang = locale;
}
