/** Whole years (or, under two years, whole months) between a birth date (YYYY-MM-DD) and `today`. */
export function ageOf(birthDate: string, today: Date): { years: number } | { months: number } | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  let months = (today.getFullYear() - y) * 12 + (today.getMonth() + 1 - mo);
  if (today.getDate() < d) months--;
  if (months < 0) return undefined;
  return months < 24 ? { months } : { years: Math.floor(months / 12) };
}
