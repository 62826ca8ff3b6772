import { describe, expect, it } from 'vitest';
import { rppsWithCheckDigit } from '../../../common/identifiers.js';
import { rppsOfClaims } from './psc-claims.js';

const rpps = rppsWithCheckDigit('1000012345');

describe('rppsOfClaims', () => {
  it('reads the national identifier "8" + RPPS, or the RPPS alone', () => {
    expect(rppsOfClaims({ SubjectNameID: `8${rpps}` })).toBe(rpps);
    expect(rppsOfClaims({ SubjectNameID: rpps })).toBe(rpps);
    expect(rppsOfClaims({ preferred_username: `8${rpps}` })).toBe(rpps);
    expect(rppsOfClaims({ sub: 'f:550dc1c8' }, { SubjectNameID: ` 8${rpps} ` })).toBe(rpps);
  });

  it('names no RPPS for an ADELI identifier, a wrong check digit or no claim', () => {
    expect(rppsOfClaims({ SubjectNameID: '0123456789' })).toBeNull();
    const wrongKey = `${rpps.slice(0, 10)}${(Number(rpps[10]) + 1) % 10}`;
    expect(rppsOfClaims({ SubjectNameID: `8${wrongKey}` })).toBeNull();
    expect(rppsOfClaims({ SubjectNameID: 123 }, {})).toBeNull();
  });
});
