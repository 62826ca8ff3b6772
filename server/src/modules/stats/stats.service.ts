import { badInput, forbidden, unauthenticated } from '../../common/errors.js';
import type { Context } from '../../graphql/context.js';
import { Role } from '../auth/user.entity.js';
import { addPeriods, blockOf, parentPeriods, periodsBetween, type Grain } from './stats.periods.js';
import * as repo from './stats.repository.js';
import type { CounterRow } from './stats.repository.js';
import { SUPPRESSION_THRESHOLD, suppress, type Cell } from './stats.suppression.js';
import {
  StatsGroup, type ActivePhysiciansRow, type DateRange, type EmailStatsRow, type ExamsPublishedRow, type FirstOpeningRow,
  type NotificationStatsRow, type ShareStatsRow, type Stats, type StatsFacility, type StatsValue,
} from './stats.types.js';

export interface StatsQuery {
  grain: Grain;
  modality: boolean;
  facility: boolean;
  /** First day covered and first day after, both period starts (Europe/Paris calendar). */
  from: string;
  to: string;
}

const MAX_SPAN_DAYS = 5 * 366;
/** Beyond these, the answer would be a wall of mostly suppressed cells: ask for a coarser period. */
const MAX_PERIODS: Record<Grain, number> = { day: 366, week: 262, month: 60, year: 5 };
/** Days by centre or modality are an export, not a question: a quarter at most. */
const MAX_DAYS_WITH_DIMENSION = 92;
const GRAINS: Partial<Record<StatsGroup, Grain>> = {
  [StatsGroup.DAY]: 'day',
  [StatsGroup.WEEK]: 'week',
  [StatsGroup.MONTH]: 'month',
  [StatsGroup.YEAR]: 'year',
};

/** Figures are for analysts and administrators; every entry point of this module checks it. */
function requireAnalyst(ctx: Context): void {
  const v = ctx.viewer;
  if (v.kind === 'anonymous') throw unauthenticated();
  if (v.kind !== 'user' || (v.user.role !== Role.ANALYST && v.user.role !== Role.ADMIN)) throw forbidden();
}

export async function openStats(ctx: Context, range: DateRange | null | undefined, groupBy: StatsGroup[] | null | undefined): Promise<Stats> {
  requireAnalyst(ctx);
  const groups = [...new Set(groupBy ?? [])];
  const periods = groups.filter((g) => GRAINS[g]);
  if (periods.length > 1) throw badInput('Group by one period at most (DAY, WEEK, MONTH or YEAR)', 'groupBy');
  const period = periods[0] ?? StatsGroup.MONTH;
  const grain = GRAINS[period]!;

  const to = range?.to ?? new Date();
  const from = range?.from ?? new Date(new Date(to).setFullYear(to.getFullYear() - 1));
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw badInput('Invalid date', 'range');
  if (from >= to) throw badInput('range.from must be before range.to', 'range');
  if (to.getTime() - from.getTime() > MAX_SPAN_DAYS * 86_400_000) throw badInput('The range spans at most 5 years', 'range');
  const snapped = await repo.snapRange(ctx.em, grain, from, to);
  const count = periodsBetween(snapped.from, snapped.to, grain);
  const withDimension = groups.includes(StatsGroup.MODALITY) || groups.includes(StatsGroup.FACILITY);
  const max = grain === 'day' && withDimension ? MAX_DAYS_WITH_DIMENSION : MAX_PERIODS[grain];
  if (count > max) {
    throw badInput(`At most ${max} periods of ${period} per query${max === MAX_DAYS_WITH_DIMENSION ? ' grouped by MODALITY or FACILITY' : ''} (asked: ${count}); choose a coarser period or a shorter range`, 'range');
  }
  return {
    from: snapped.from,
    to: snapped.to,
    period,
    groupBy: [period, ...groups.filter((g) => !GRAINS[g])],
    suppressionThreshold: SUPPRESSION_THRESHOLD,
    query: { grain, modality: groups.includes(StatsGroup.MODALITY), facility: groups.includes(StatsGroup.FACILITY), ...snapped },
  };
}

// ---------------------------------------------------------------------------------------------
// One engine for every series: fetch the cells of whole blocks, suppress, keep the asked range.

interface Group {
  key: string;
  period: string;
  facilityId: string | null;
  modality: string | null;
  counts: Map<string, number>;
  quantiles: Map<string, { q50: number; q90: number }>;
}

interface Dims {
  facility: boolean;
  modality: boolean;
}

function groupsOf(rows: CounterRow[]): Group[] {
  const groups = new Map<string, Group>();
  for (const r of rows) {
    const key = `${r.period}|${r.facilityId ?? ''}|${r.modality ?? ''}`;
    let g = groups.get(key);
    if (!g) {
      g = { key, period: r.period, facilityId: r.facilityId, modality: r.modality, counts: new Map(), quantiles: new Map() };
      groups.set(key, g);
    }
    g.counts.set(r.metric, (g.counts.get(r.metric) ?? 0) + r.value);
    if (r.quantiles) g.quantiles.set(r.metric, r.quantiles);
  }
  return [...groups.values()];
}

/** Every sum of cells an analyst could get from another query: enclosing periods × dimension subsets. */
function marginsOf(g: Group, grain: Grain, dims: Dims): string[] {
  const dimValues: Array<[string, string]> = [];
  if (dims.facility) dimValues.push(['f', g.facilityId ?? '']);
  if (dims.modality) dimValues.push(['m', g.modality ?? '']);
  const periods = [`P${g.period}`, ...parentPeriods(g.period, grain)];
  const margins: string[] = [];
  for (const p of periods) {
    for (let mask = 0; mask < 1 << dimValues.length; mask++) {
      if (p === periods[0] && mask === (1 << dimValues.length) - 1) continue; // the cell itself
      const kept = dimValues.filter((_, i) => mask & (1 << i)).map(([d, v]) => `${d}=${v}`);
      margins.push([p, ...kept].join('|'));
    }
  }
  return margins;
}

/** Hidden group keys for one measure. */
function hiddenFor(groups: Group[], measure: string, grain: Grain, dims: Dims): Set<string> {
  const cells: Cell[] = [];
  for (const g of groups) {
    const value = g.counts.get(measure) ?? 0;
    if (value > 0) cells.push({ key: g.key, value, margins: marginsOf(g, grain, dims) });
  }
  return suppress(cells);
}

class Series {
  private readonly hidden = new Map<string, Set<string>>();

  constructor(
    readonly groups: Group[],
    private readonly grain: Grain,
    private readonly dims: Dims,
  ) {}

  private hiddenSet(measure: string): Set<string> {
    let h = this.hidden.get(measure);
    if (!h) {
      h = hiddenFor(this.groups, measure, this.grain, this.dims);
      this.hidden.set(measure, h);
    }
    return h;
  }

  count(g: Group, measure: string): StatsValue {
    if (this.hiddenSet(measure).has(g.key)) return { value: null, suppressed: true };
    return { value: g.counts.get(measure) ?? 0, suppressed: false };
  }

  /** A quantile is shown only when the group it is computed over is. */
  quantile(g: Group, histogram: string, overMeasure: string, q: 'q50' | 'q90'): StatsValue {
    if (this.hiddenSet(overMeasure).has(g.key) || (g.counts.get(overMeasure) ?? 0) === 0) {
      return { value: null, suppressed: this.hiddenSet(overMeasure).has(g.key) };
    }
    return { value: g.quantiles.get(histogram)?.[q] ?? null, suppressed: false };
  }
}

interface Sources {
  counters?: string[];
  histogram?: string;
  extra?: (from: string, to: string) => Promise<CounterRow[]>;
}

async function series(ctx: Context, q: StatsQuery, sources: Sources, dims: Dims): Promise<Series> {
  requireAnalyst(ctx);
  const from = blockOf(q.from, q.grain).start;
  const to = blockOf(addPeriods(q.to, q.grain, -1), q.grain).end;
  const rows: CounterRow[] = [];
  if (sources.counters?.length) rows.push(...(await repo.counters(ctx.em, sources.counters, q.grain, from, to, dims)));
  if (sources.histogram) rows.push(...(await repo.histogram(ctx.em, sources.histogram, q.grain, from, to, dims, q.from, q.to)));
  if (sources.extra) rows.push(...(await sources.extra(from, to)));
  return new Series(groupsOf(rows), q.grain, dims);
}

function inRange(q: StatsQuery, g: Group): boolean {
  return g.period >= q.from && g.period < q.to;
}

function byPeriodThenLabel<T extends { period: string; modality?: string | null; facility?: StatsFacility | null }>(a: T, b: T): number {
  if (a.period !== b.period) return a.period < b.period ? -1 : 1;
  const la = `${a.facility?.name ?? ''}|${a.modality ?? ''}`;
  const lb = `${b.facility?.name ?? ''}|${b.modality ?? ''}`;
  return la < lb ? -1 : la > lb ? 1 : 0;
}

async function facilityOf(ctx: Context, groups: Group[]): Promise<(g: Group) => StatsFacility | null> {
  const ids = [...new Set(groups.map((g) => g.facilityId).filter((id): id is string => !!id))];
  const byId = await repo.facilitiesByIds(ctx.em, ids);
  return (g) => (g.facilityId ? byId.get(g.facilityId) ?? { id: g.facilityId, name: '—', finess: '' } : null);
}

// ---------------------------------------------------------------------------------------------
// The series.

export async function examsPublished(ctx: Context, q: StatsQuery): Promise<ExamsPublishedRow[]> {
  const metric = q.modality ? 'exams_published_by_modality' : 'exams_published';
  const s = await series(ctx, q, { counters: [metric] }, { facility: q.facility, modality: q.modality });
  const groups = s.groups.filter((g) => inRange(q, g));
  const facility = await facilityOf(ctx, groups);
  return groups
    .map((g) => ({ period: g.period, modality: g.modality, facility: facility(g), exams: s.count(g, metric) }))
    .sort(byPeriodThenLabel);
}

export async function timeToFirstOpening(ctx: Context, q: StatsQuery): Promise<FirstOpeningRow[]> {
  const s = await series(ctx, q, { histogram: 'first_opening' }, { facility: q.facility, modality: false });
  const groups = s.groups.filter((g) => inRange(q, g));
  const facility = await facilityOf(ctx, groups);
  return groups
    .map((g) => ({
      period: g.period,
      facility: facility(g),
      openedExams: s.count(g, 'first_opening'),
      medianSeconds: s.quantile(g, 'first_opening', 'first_opening', 'q50'),
      p90Seconds: s.quantile(g, 'first_opening', 'first_opening', 'q90'),
    }))
    .sort(byPeriodThenLabel);
}

const NO_DIMS: Dims = { facility: false, modality: false };

export async function notifications(ctx: Context, q: StatsQuery): Promise<NotificationStatsRow[]> {
  const s = await series(ctx, q, { counters: ['notifications_sent', 'notifications_read'], histogram: 'notification_read_delay' }, NO_DIMS);
  return s.groups
    .filter((g) => inRange(q, g))
    .map((g) => ({
      period: g.period,
      sent: s.count(g, 'notifications_sent'),
      read: s.count(g, 'notifications_read'),
      medianSecondsToRead: s.quantile(g, 'notification_read_delay', 'notifications_read', 'q50'),
    }))
    .sort(byPeriodThenLabel);
}

export async function emails(ctx: Context, q: StatsQuery): Promise<EmailStatsRow[]> {
  const s = await series(ctx, q, { counters: ['emails_queued', 'emails_sent', 'emails_failed', 'emails_retried'] }, NO_DIMS);
  return s.groups
    .filter((g) => inRange(q, g))
    .map((g) => ({
      period: g.period,
      queued: s.count(g, 'emails_queued'),
      sent: s.count(g, 'emails_sent'),
      failed: s.count(g, 'emails_failed'),
      retried: s.count(g, 'emails_retried'),
    }))
    .sort(byPeriodThenLabel);
}

export async function shares(ctx: Context, q: StatsQuery): Promise<ShareStatsRow[]> {
  const s = await series(ctx, q, {
    counters: ['shares_created', 'shares_opened', 'shares_revoked'],
    histogram: 'share_openings',
    extra: (from, to) => repo.expiredShares(ctx.em, q.grain, from, to),
  }, NO_DIMS);
  return s.groups
    .filter((g) => inRange(q, g))
    .map((g) => ({
      period: g.period,
      created: s.count(g, 'shares_created'),
      opened: s.count(g, 'shares_opened'),
      expired: s.count(g, 'shares_expired'),
      revoked: s.count(g, 'shares_revoked'),
      medianOpenings: s.quantile(g, 'share_openings', 'shares_created', 'q50'),
    }))
    .sort(byPeriodThenLabel);
}

export async function activePhysicians(ctx: Context, q: StatsQuery): Promise<ActivePhysiciansRow[]> {
  const s = await series(ctx, q, { counters: ['active_physicians'] }, NO_DIMS);
  return s.groups
    .filter((g) => inRange(q, g))
    .map((g) => ({ period: g.period, physicians: s.count(g, 'active_physicians') }))
    .sort(byPeriodThenLabel);
}
