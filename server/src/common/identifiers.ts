/**
 * French health identifiers and their check keys.
 *
 * - RPPS (Répertoire partagé des professionnels de santé): 11 digits, the last one a Luhn key
 *   computed over the first 10.
 * - FINESS (établissements sanitaires et sociaux): 9 characters, the last one a Luhn key computed
 *   over the first 8. Corsican numbers start with the département code `2A` or `2B`; how the key
 *   treats those letters is not published in a source we could check, so such numbers are
 *   accepted on their shape alone rather than risk rejecting a real Corsican centre.
 * - NIR (numéro d'inscription au répertoire, the basis of the INS matricule): 13 characters and a
 *   2-digit key = 97 − (number mod 97), with the Corsican rule 2A → 19, 2B → 18 before the modulo.
 */

const DIGITS = /^[0-9]+$/;

/** Sum of the Luhn algorithm over a digit string whose last digit is the key. */
function luhnSum(digits: string): number {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum;
}

function luhnIsValid(digits: string): boolean {
  return DIGITS.test(digits) && luhnSum(digits) % 10 === 0;
}

/** The Luhn key digit to append to `payload`. */
export function luhnCheckDigit(payload: string): string {
  if (!DIGITS.test(payload)) throw new RangeError(`Luhn payload must be digits: "${payload}"`);
  const sum = luhnSum(`${payload}0`);
  return String((10 - (sum % 10)) % 10);
}

export function isValidRpps(s: string): boolean {
  return s.length === 11 && luhnIsValid(s);
}

export function rppsWithCheckDigit(first10: string): string {
  if (!/^[0-9]{10}$/.test(first10)) throw new RangeError(`RPPS stem must be 10 digits: "${first10}"`);
  return first10 + luhnCheckDigit(first10);
}

export function isValidFiness(s: string): boolean {
  if (/^2[AB][0-9]{7}$/.test(s)) return true;
  return s.length === 9 && luhnIsValid(s);
}

export function finessWithCheckDigit(first8: string): string {
  if (!/^[0-9]{8}$/.test(first8)) {
    throw new RangeError(`FINESS stem must be 8 digits (Corsican 2A/2B stems are not supported): "${first8}"`);
  }
  return first8 + luhnCheckDigit(first8);
}

function nirNumeric(first13: string): bigint {
  // Corsican départements replace the letters so that the key stays a plain modulo 97.
  const numeric = first13.replace(/^(.{5})2A/, '$119').replace(/^(.{5})2B/, '$118');
  return BigInt(numeric);
}

const NIR_STEM = /^[1-478][0-9]{4}(?:[0-9]{2}|2A|2B)[0-9]{6}$/;

export function nirKey(first13: string): string {
  if (!NIR_STEM.test(first13)) throw new RangeError(`NIR stem must be 13 characters: "${first13}"`);
  return String(97n - (nirNumeric(first13) % 97n)).padStart(2, '0');
}

export function isValidNir(s: string): boolean {
  if (s.length !== 15) return false;
  const stem = s.slice(0, 13);
  return NIR_STEM.test(stem) && nirKey(stem) === s.slice(13);
}
