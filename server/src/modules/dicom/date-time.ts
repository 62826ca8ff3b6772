/**
 * DICOM DA and TM values as the index and the portal keep them. Besides PS3.5's forms
 * (YYYYMMDD, HHMMSS.FFFFFF), files written before DICOM 3.0 (ACR-NEMA) carry `1994.01.30` and
 * `10:20:30`: both are read. A value that is none of these, or no calendar date, is unreadable:
 * the caller gets undefined and decides (absent, or an explicit error), never a made-up date.
 */

/** A DA value as YYYYMMDD, or undefined when absent or unreadable. */
export function readDicomDate(raw: string | undefined): string | undefined {
  const m = /^(\d{4})\.?(\d{2})\.?(\d{2})$/.exec(raw?.replace(/[\0 ]+$/, '').trim() ?? '');
  if (!m) return undefined;
  const [, y, mo, d] = m as unknown as [string, string, string, string];
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  const valid = date.getUTCFullYear() === Number(y) && date.getUTCMonth() === Number(mo) - 1 && date.getUTCDate() === Number(d);
  return valid ? `${y}${mo}${d}` : undefined;
}

/** A TM value as HH[MM[SS[.F{1,6}]]] without separators, or undefined when absent or unreadable. */
export function readDicomTime(raw: string | undefined): string | undefined {
  const v = raw?.replace(/[\0 ]+$/, '').trim() ?? '';
  const m = /^(\d{2})(?::?(\d{2})(?::?(\d{2})(\.\d{1,6})?)?)?$/.exec(v);
  if (!m) return undefined;
  const [, h, mi, s, fraction] = m;
  if (Number(h) > 23 || Number(mi ?? 0) > 59 || Number(s ?? 0) > 60) return undefined;
  return `${h}${mi ?? ''}${s ?? ''}${fraction ?? ''}`;
}

/** DA (+ TM) as an ISO date-time, read as UTC (the tags carry no time zone); undefined when the date is unreadable. */
export function dicomDateTimeIso(da: string | undefined, tm: string | undefined): string | undefined {
  const date = readDicomDate(da);
  if (!date) return undefined;
  const time = readDicomTime(tm) ?? '';
  const pick = (from: number): string => time.slice(from, from + 2).padEnd(2, '0');
  return `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${pick(0)}:${pick(2)}:${pick(4)}.000Z`;
}
