import argon2 from 'argon2';
import { AppError, ErrorCode } from '../../common/errors.js';

// OWASP's argon2id baseline (19 MiB, t=2, p=1): ~30 ms here, affordable per login, costly per guess.
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, ARGON2_OPTIONS);
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;
/** Spends the same time as a real verification, so unknown e-mails cannot be told apart by timing. */
export async function verifyAgainstNothing(password: string): Promise<void> {
  dummyHash ??= hashPassword('not-a-real-password-e-mage');
  await verifyPassword(await dummyHash, password);
}

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 128;

/**
 * CNIL guidance (délibération 2022-100): with no other factor, at least 12 characters; we put
 * length first and refuse the passwords attackers try first, rather than imposing character
 * classes that push people to predictable patterns.
 */
const COMMON = new Set([
  'motdepasse123', 'motdepasse1234', 'azertyuiop123', 'azertyuiopqsd', 'azertyazerty', '123456789012',
  '1234567890ab', 'password1234', 'password123!', 'qwertyuiop12', 'qwertyqwerty', 'aaaaaaaaaaaa',
  'soleil123456', 'bonjour12345', 'doudou123456', 'marseille1234', 'nicolas12345', 'motdepasse!!',
  'administrateur', 'medecin12345', 'docteur12345', 'iloveyou1234', 'abcdefghijkl', 'abc123abc123',
  '000000000000', '111111111111', '123123123123', 'azerty123456', 'passwordpassword', 'e-mage123456',
]);

const COMMON_WORDS = [
  'motdepasse', 'password', 'azerty', 'qwerty', 'soleil', 'bonjour', 'doudou', 'marseille', 'nicolas',
  'medecin', 'docteur', 'iloveyou', 'jetaime', 'admin', 'bienvenue', 'welcome', 'chouchou', 'loulou',
  '123456', 'abcdef',
];
const MIN_REMAINDER = 6;

export function checkPasswordPolicy(password: string, context: { email?: string; names?: string[] } = {}): void {
  // `reason` lets clients explain the refusal in the user's language.
  const reject = (message: string, reason: 'TOO_SHORT' | 'TOO_LONG' | 'TOO_COMMON' | 'CONTAINS_EMAIL'): never => {
    throw new AppError(ErrorCode.WEAK_PASSWORD, message, { field: 'password', reason, minLength: MIN_PASSWORD_LENGTH });
  };
  if (password.length < MIN_PASSWORD_LENGTH) reject(`The password must have at least ${MIN_PASSWORD_LENGTH} characters`, 'TOO_SHORT');
  if (password.length > MAX_PASSWORD_LENGTH) reject(`The password must have at most ${MAX_PASSWORD_LENGTH} characters`, 'TOO_LONG');
  const lower = password.toLowerCase();
  if (COMMON.has(lower) || /^(.)\1+$/.test(password) || /^(0123456789|123456789|abcdefghij)/.test(lower)) {
    reject('This password is too common', 'TOO_COMMON');
  }
  // "Motdepasse2024!" is a common word dressed with digits and a symbol: what guessing tools
  // try right after the list itself. Without the common words and the digits, what is left
  // must still be a password of its own.
  if (COMMON_WORDS.some((w) => lower.includes(w))) {
    const rest = COMMON_WORDS.reduce((acc, w) => acc.split(w).join(''), lower).replace(/[0-9]/g, '');
    if (rest.length < MIN_REMAINDER) reject('This password is too common', 'TOO_COMMON');
  }
  const local = context.email?.split('@')[0]?.toLowerCase();
  if (local && local.length >= 4 && lower.includes(local)) reject('The password must not contain your e-mail address', 'CONTAINS_EMAIL');
}
