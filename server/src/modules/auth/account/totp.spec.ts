import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, hotp, matchTotp, totpCode, totpStep } from './totp.js';

// RFC 6238 Appendix B: the seed is the ASCII of "12345678901234567890" (SHA-1), 8 digits.
const SEED = Buffer.from('12345678901234567890', 'ascii');
const RFC_6238_SHA1: Array<[number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('TOTP (RFC 6238)', () => {
  it.each(RFC_6238_SHA1)('the appendix B vector at T=%i is %s', (t, expected) => {
    expect(hotp(SEED, totpStep(t * 1000), 8)).toBe(expected);
  });

  it('RFC 4226 appendix D HOTP values for counters 0 to 9', () => {
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    expect(expected.map((_, i) => hotp(SEED, BigInt(i)))).toEqual(expected);
  });

  it('base32 round-trips the seed (RFC 4648 alphabet)', () => {
    expect(base32Encode(SEED)).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(base32Decode('gezd gnbv gy3t qojq gezd gnbv gy3t qojq')).toEqual(SEED);
  });

  it('accepts the code of the step before and after, not two away', () => {
    const secret = base32Encode(SEED);
    const now = 1_700_000_000_000;
    expect(matchTotp(secret, totpCode(secret, now), now)).toBe(totpStep(now));
    expect(matchTotp(secret, totpCode(secret, now - 30_000), now)).toBe(totpStep(now) - 1n);
    expect(matchTotp(secret, totpCode(secret, now + 30_000), now)).toBe(totpStep(now) + 1n);
    expect(matchTotp(secret, totpCode(secret, now - 60_000), now)).toBeNull();
    expect(matchTotp(secret, 'abcdef', now)).toBeNull();
  });
});
