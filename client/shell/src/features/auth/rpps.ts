/**
 * The RPPS number's check (11 digits, Luhn key), as a hint while typing. The server checks it
 * again: this only saves the physician a round trip.
 */
export function isValidRpps(value: string): boolean {
  const digits = value.replace(/\s/g, '');
  if (!/^[0-9]{11}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}
