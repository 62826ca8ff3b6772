/** A calendar date (YYYY-MM-DD, no time zone) as a local Date, so formatting never shifts the day. */
export function calendarDate(iso: string): Date {
  const [y, m, d] = iso.split('-').map(Number);
  return new Date(y ?? 1970, (m ?? 1) - 1, d ?? 1);
}
