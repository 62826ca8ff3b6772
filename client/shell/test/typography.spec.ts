import { describe, expect, it } from 'vitest';
import type { Composer } from 'vue-i18n';
import { i18n } from '../src/i18n';

// The shell creates its i18n in composition mode (legacy: false).
const composer = i18n.global as unknown as Composer;

type Tree = string | { [key: string]: Tree } | Tree[];

function strings(tree: Tree, path: string, out: Array<[string, string]>): Array<[string, string]> {
  if (typeof tree === 'string') out.push([path, tree]);
  else if (Array.isArray(tree)) tree.forEach((v, i) => strings(v, `${path}[${i}]`, out));
  else for (const [k, v] of Object.entries(tree)) strings(v, path ? `${path}.${k}` : k, out);
  return out;
}

/** vue-i18n's literal interpolation, {'@'}, is syntax, not text. */
const withoutLiterals = (s: string) => s.replace(/\{'[^']*'\}/g, '');
const french = strings(composer.getLocaleMessage('fr') as Tree, '', []).map(([k, s]): [string, string] => [k, withoutLiterals(s)]);
const t = (key: string, named: Record<string, unknown>, plural: number): string => composer.t(key, named, plural);

describe('French typography of the interface (issue 19 finding 8)', () => {
  it('reads every French message', () => {
    expect(french.length).toBeGreaterThan(300);
  });

  it('uses the typographic apostrophe only', () => {
    expect(french.filter(([, s]) => s.includes("'")).map(([k]) => k)).toEqual([]);
  });

  it('puts a no-break space before : ; ! ? % and inside « guillemets », never a breaking one', () => {
    expect(french.filter(([, s]) => /[ \t\n][:;!?%»]|«[ \t\n]/.test(s)).map(([k, s]) => `${k}: ${s}`)).toEqual([]);
  });

  it('writes no « (s) » plurals', () => {
    expect(french.filter(([, s]) => s.includes('(s)')).map(([k]) => k)).toEqual([]);
  });

  it('compiles every French message (a literal such as {\'@\'} keeps its straight quotes)', () => {
    composer.locale.value = 'fr';
    expect(composer.t('sharing.emailPlaceholder')).toBe('adresse@mail.com');
    const broken = french.filter(([k]) => !/\[\d+\]$/.test(k)).filter(([k]) => {
      try {
        composer.t(k, { n: 1, min: 1, max: 1, title: 't', name: 'n', date: 'd', email: 'e' });
        return false;
      } catch {
        return true;
      }
    });
    expect(broken.map(([k]) => k)).toEqual([]);
  });

  it('chooses singular for 0 and 1 and plural from 2, in French and English', () => {
    composer.locale.value = 'fr';
    expect([0, 1, 2].map((n) => t('auth.login.remaining', { n }, n))).toEqual([
      'Il vous reste 0 tentative avant le blocage de votre compte.',
      'Il vous reste 1 tentative avant le blocage de votre compte.',
      'Il vous reste 2 tentatives avant le blocage de votre compte.',
    ]);
    expect(t('auth.password.count', { n: 1, min: 12 }, 1)).toBe('1 caractère sur 12 minimum');
    expect(t('auth.password.count', { n: 13, min: 12 }, 13)).toBe('13 caractères sur 12 minimum');
    expect(t('dashboard.count', { n: 0 }, 0)).toBe('Aucun patient');
    composer.locale.value = 'en';
    expect([1, 2].map((n) => t('auth.rateLimited', { n }, n))).toEqual(['Too many attempts. Try again in 1 minute.', 'Too many attempts. Try again in 2 minutes.']);
    expect(t('auth.password.count', { n: 0, min: 12 }, 0)).toBe('0 characters of 12 minimum');
    composer.locale.value = 'fr';
  });
});
