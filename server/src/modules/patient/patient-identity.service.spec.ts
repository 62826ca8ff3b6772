import { describe, expect, it } from 'vitest';
import { foldName, searchNameOf } from './patient-identity.service.js';

describe('patient search name', () => {
  it('is the unaccented, lower-cased words of the first, last and birth names, without repeats', () => {
    expect(searchNameOf({ firstName: 'Hélène', lastName: 'Dupont-Moreau', birthName: 'Moreau' })).toBe('helene dupont moreau');
    expect(searchNameOf({ firstName: 'Marie-Thérèse', lastName: 'Lambert', birthName: 'Haas' })).toBe('marie therese lambert haas');
    expect(searchNameOf({ firstName: 'Loïc', lastName: 'Le Gall', birthName: null })).toBe('loic le gall');
  });

  it('folds Vietnamese diacritics, ligatures and apostrophes', () => {
    expect(searchNameOf({ firstName: 'François', lastName: 'Nguyễn' })).toBe('francois nguyen');
    expect(searchNameOf({ firstName: 'Gérard', lastName: 'Œhmichen' })).toBe('gerard oehmichen');
    expect(searchNameOf({ firstName: 'Aïcha', lastName: "D'Aubigné" })).toBe('aicha d aubigne');
  });

  it('folds one name the same way a typed filter would be folded', () => {
    expect(foldName('HÉLÈNE')).toBe('helene');
    expect(foldName('Zoé Bâtard')).toBe('zoe batard');
  });
});
