import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/common/errors.js';
import { checkPasswordPolicy } from '../../src/modules/auth/password.js';

function verdict(password: string, email?: string): string {
  try {
    checkPasswordPolicy(password, { email });
    return 'ok';
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    expect(e.code).toBe('WEAK_PASSWORD');
    expect(e.extensions.field).toBe('password');
    return e.message;
  }
}

describe('password policy (CNIL: length first, no common passwords)', () => {
  it('requires at least 12 characters, whatever their kind', () => {
    expect(verdict('Ab1!Ab1!Ab1')).toMatch(/at least 12/);
    expect(verdict('tout en minuscules')).toBe('ok');
    expect(verdict('une phrase simple mais longue')).toBe('ok');
  });

  it('caps the length so hashing cannot be abused', () => {
    expect(verdict('x'.repeat(129))).toMatch(/at most 128/);
  });

  it.each(['motdepasse123', 'azertyuiop123', '123456789012', 'aaaaaaaaaaaa', 'Password1234', 'AZERTY123456'])('refuses the common %s', (p) => {
    expect(verdict(p)).toMatch(/too common/);
  });

  it.each(['Motdepasse2024!', 'Password2024', 'Soleil-123456', 'Azerty!2026!'])('refuses a common word dressed with a year or symbol: %s', (p) => {
    expect(verdict(p)).toMatch(/too common/);
  });

  it('accepts a common word inside a long enough passphrase', () => {
    expect(verdict('soleil couchant sur la Moselle')).toBe('ok');
    expect(verdict('Demo-e-mage-2026')).toBe('ok');
  });

  it('refuses a password that contains the e-mail address', () => {
    expect(verdict('claire.martin-2026!', 'claire.martin@demo.e-mage.fr')).toMatch(/e-mail/);
    expect(verdict('Correct-horse-battery-42', 'claire.martin@demo.e-mage.fr')).toBe('ok');
  });
});
