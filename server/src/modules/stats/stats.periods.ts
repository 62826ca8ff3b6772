/**
 * Calendar arithmetic on local dates ('YYYY-MM-DD', Europe/Paris calendar, as the counters
 * store them). Dates are handled as UTC midnights so no time zone shift can creep in.
 */

export type Grain = 'day' | 'week' | 'month' | 'year';

function parse(d: string): Date {
  return new Date(`${d}T00:00:00Z`);
}

function format(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function addDays(d: string, n: number): string {
  const x = parse(d);
  x.setUTCDate(x.getUTCDate() + n);
  return format(x);
}

export function addPeriods(d: string, grain: Grain, n: number): string {
  const x = parse(d);
  switch (grain) {
    case 'day':
      x.setUTCDate(x.getUTCDate() + n);
      break;
    case 'week':
      x.setUTCDate(x.getUTCDate() + 7 * n);
      break;
    case 'month':
      x.setUTCMonth(x.getUTCMonth() + n);
      break;
    case 'year':
      x.setUTCFullYear(x.getUTCFullYear() + n);
      break;
  }
  return format(x);
}

/** Monday of the ISO week holding d. */
export function weekStart(d: string): string {
  const x = parse(d);
  return addDays(d, -((x.getUTCDay() + 6) % 7));
}

export function monthStart(d: string): string {
  return `${d.slice(0, 7)}-01`;
}

export function yearStart(d: string): string {
  return `${d.slice(0, 4)}-01-01`;
}

/** The ISO week-numbering year of a week: the year of its Thursday. */
export function isoYearStart(d: string): string {
  const isoYear = addDays(weekStart(d), 3).slice(0, 4);
  return weekStart(`${isoYear}-01-04`);
}

/** Number of whole periods between two period starts. */
export function periodsBetween(from: string, to: string, grain: Grain): number {
  let n = 0;
  for (let d = from; d < to; d = addPeriods(d, grain, 1)) n++;
  return n;
}

/**
 * The enclosing periods of a cell's period that an analyst can also query, and that hold
 * whole cells of this grain: a day sits in its month and year (its ISO week is left out: weeks
 * straddle months, ADR 0071); a week in its ISO year; a month in its year.
 */
export function parentPeriods(period: string, grain: Grain): string[] {
  switch (grain) {
    case 'day':
      return [`M${monthStart(period)}`, `Y${yearStart(period)}`];
    case 'week':
      return [`I${isoYearStart(period)}`];
    case 'month':
      return [`Y${yearStart(period)}`];
    case 'year':
      return [];
  }
}

/**
 * The block whose data alone decides which cells are hidden: the calendar year (ISO year for
 * weeks). Computing over whole blocks makes the pattern independent of where a query's range
 * starts and ends, so shifting the range reveals nothing new.
 */
export function blockOf(period: string, grain: Grain): { start: string; end: string } {
  if (grain === 'week') {
    const start = isoYearStart(period);
    return { start, end: weekStart(`${Number(addDays(start, 3).slice(0, 4)) + 1}-01-04`) };
  }
  const start = yearStart(period);
  return { start, end: addPeriods(start, 'year', 1) };
}
