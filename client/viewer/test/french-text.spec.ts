import { describe, expect, it } from 'vitest';
import { formatNumber, localiseToolText } from '../src/viewer/tools/french-text';

describe('measurement text in the viewer’s language', () => {
  it('writes numbers with a decimal comma and narrow no-break spaces between thousands in French', () => {
    expect(formatNumber(1234.5, 'fr')).toBe('1\u202f234,50');
    expect(formatNumber(-1000, 'fr', 0)).toBe('-1\u202f000');
    expect(formatNumber(-0.001, 'fr')).toBe('0,00');
    expect(formatNumber(1234.5, 'en')).toBe('1,234.50');
  });

  it('translates cornerstone-tools’ lines, keeping their decimals', () => {
    expect(localiseToolText('Mean: 1,234.50 HU', 'fr')).toBe('Moyenne\u00a0: 1\u202f234,50 UH');
    expect(localiseToolText('Std Dev: 12.30 HU', 'fr')).toBe('Écart-type\u00a0: 12,30 UH');
    expect(localiseToolText('Area: 104.21 mm²', 'fr')).toBe('Aire\u00a0: 104,21 mm²');
    expect(localiseToolText('12.34 mm', 'fr')).toBe('12,34 mm');
    expect(localiseToolText('SP: 24 MO: -1000', 'fr')).toBe('Valeur\u00a0: -1\u202f000');
    expect(localiseToolText('Area: 7.50 pixels²', 'fr')).toBe('Aire\u00a0: 7,50 px²');
    expect(localiseToolText('Mean: 1,234.50 HU', 'en')).toBe('Mean: 1,234.50 HU');
  });
});
