/**
 * cornerstone-tools writes its measurements on the image in English with a decimal point
 * ("Mean: 1,234.50 HU"); the viewer is French by default. Its text is rewritten as it is drawn
 * (measurements.ts): labels translated, numbers in the locale's format. The values themselves are
 * the viewer's (statistics.ts).
 */
import type { Locale } from '../../types';

const LABELS: Record<Locale, Array<[RegExp, string]>> = {
  fr: [
    [/^Area:/, 'Aire\u00a0:'],
    [/^Mean:/, 'Moyenne\u00a0:'],
    [/^Std Dev:/, 'Écart-type\u00a0:'],
    [/^Min:/, 'Min\u00a0:'],
    [/^Max:/, 'Max\u00a0:'],
    [/^SP: \S+ MO:/, 'Valeur\u00a0:'],
  ],
  en: [
    [/^SP: \S+ MO:/, 'Value:'],
  ],
};

/** A number as cornerstone-tools writes it: thousands with commas, a decimal point. */
const NUMBER = /-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?/g;

/**
 * `value` with `digits` decimals in the locale's format: « 1 234,56 » (a narrow no-break space
 * between thousands, a decimal comma) or "1,234.56". Without Intl, whose first use on a page costs
 * the main thread its locale data (as i18n.ts's dates).
 */
export function formatNumber(value: number, locale: Locale, digits = 2): string {
  const fixed = Math.abs(value).toFixed(digits);
  const [whole = '0', fraction] = fixed.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, locale === 'en' ? ',' : '\u202f');
  const sign = value < 0 && Number(fixed) !== 0 ? '-' : '';
  return `${sign}${grouped}${fraction ? (locale === 'en' ? '.' : ',') + fraction : ''}`;
}

/** A line of cornerstone-tools' text in the viewer's language and number format. */
export function localiseToolText(text: string, locale: Locale): string {
  let out = text;
  for (const [pattern, label] of LABELS[locale]) out = out.replace(pattern, label);
  if (locale === 'fr') out = out.replace(/\bHU\b/g, 'UH').replace(/\bpixels\b/g, 'px');
  return out.replace(NUMBER, (n) => formatNumber(Number(n.replace(/,/g, '')), locale, n.split('.')[1]?.length ?? 0));
}

/**
 * Runs `draw` with the 2D context's text calls writing localised text: both fillText and
 * measureText, so that the boxes cornerstone-tools sizes around its text fit the new text.
 */
export function withLocalisedText(context: CanvasRenderingContext2D, locale: Locale, draw: () => void): void {
  const fillText = context.fillText.bind(context);
  const measureText = context.measureText.bind(context);
  context.fillText = (text: string, x: number, y: number, maxWidth?: number) =>
    maxWidth === undefined ? fillText(localiseToolText(text, locale), x, y) : fillText(localiseToolText(text, locale), x, y, maxWidth);
  context.measureText = (text: string) => measureText(localiseToolText(text, locale));
  try {
    draw();
  } finally {
    // Own properties shadowed the prototype's methods: removing them restores those.
    delete (context as Partial<CanvasRenderingContext2D>).fillText;
    delete (context as Partial<CanvasRenderingContext2D>).measureText;
  }
}
