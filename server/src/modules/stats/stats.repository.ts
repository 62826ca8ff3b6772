import type { EntityManager } from '@mikro-orm/postgresql';
import type { Grain } from './stats.periods.js';

/*
 * The SQL behind the analysts' figures. Everything reads the summary tables of migration
 * Migration20261128017000_stats, except share expiry, which is the passing of time rather than
 * an event and is read from a partial index on share.
 */

export interface CounterRow {
  metric: string;
  period: string;
  facilityId: string | null;
  modality: string | null;
  value: number;
  /** Histograms only: the class lower bound holding each quantile (nearest rank). */
  quantiles?: { q50: number; q90: number };
}

/** Local (Europe/Paris) period starts covering [from, to): whole periods of the grain. */
export async function snapRange(em: EntityManager, grain: Grain, from: Date, to: Date): Promise<{ from: string; to: string }> {
  const [row] = await em.execute<Array<{ from: string; to: string }>>(
    `select stats_period_start(?, ?::timestamptz)::text as "from",
            (stats_period_start(?, ?::timestamptz - interval '1 millisecond') + ('1 ' || ?)::interval)::date::text as "to"`,
    [grain, from.toISOString(), grain, to.toISOString(), grain],
  );
  return row!;
}

export async function counters(
  em: EntityManager,
  metrics: string[],
  grain: Grain,
  from: string,
  to: string,
  by: { facility: boolean; modality: boolean },
): Promise<CounterRow[]> {
  const facility = by.facility ? 'facility_id::text' : 'null::text';
  const modality = by.modality ? 'modality' : 'null::text';
  const rows = await em.execute<Array<{ metric: string; period: string; facility_id: string | null; modality: string | null; value: string }>>(
    `select metric, period_start::text as period, ${facility} as facility_id, ${modality} as modality, sum(value) as value
     from stats_counter
     where metric in (${metrics.map(() => '?').join(', ')}) and grain = ? and period_start >= ?::date and period_start < ?::date
     group by 1, 2, 3, 4
     having sum(value) <> 0`,
    [...metrics, grain, from, to],
  );
  return rows.map((r) => ({ metric: r.metric, period: r.period, facilityId: r.facility_id, modality: r.modality, value: Number(r.value) }));
}

/**
 * A histogram's size per period (and facility) over [from, to), and its quantiles — the class
 * lower bound holding the nearest rank — for the periods in [quantilesFrom, quantilesTo) only:
 * suppression needs the sizes of a whole block, the answer needs quantiles for the asked range.
 */
export async function histogram(
  em: EntityManager,
  metric: string,
  grain: Grain,
  from: string,
  to: string,
  by: { facility: boolean },
  quantilesFrom: string,
  quantilesTo: string,
): Promise<CounterRow[]> {
  const facility = by.facility ? 'facility_id::text' : 'null::text';
  const sizes = await em.execute<Array<{ period: string; facility_id: string | null; value: string }>>(
    `select period_start::text as period, ${facility} as facility_id, sum(value)::bigint as value
     from stats_counter
     where metric = ? and grain = ? and period_start >= ?::date and period_start < ?::date
     group by 1, 2
     having sum(value) > 0`,
    [metric, grain, from, to],
  );
  const classes = await em.execute<Array<{ period: string; facility_id: string | null; bucket: number; n: string }>>(
    `select period_start::text as period, ${facility} as facility_id, bucket, sum(value)::bigint as n
     from stats_counter
     where metric = ? and grain = ? and period_start >= ?::date and period_start < ?::date
     group by 1, 2, 3
     having sum(value) > 0
     order by 1, 2, 3`,
    [metric, grain, quantilesFrom, quantilesTo],
  );
  const quantiles = new Map<string, { q50: number; q90: number }>();
  const key = (period: string, facilityId: string | null) => `${period}|${facilityId ?? ''}`;
  const totals = new Map(sizes.map((r) => [key(r.period, r.facility_id), Number(r.value)]));
  let current = '';
  let cum = 0;
  for (const c of classes) {
    const k = key(c.period, c.facility_id);
    if (k !== current) {
      current = k;
      cum = 0;
    }
    const total = totals.get(k) ?? 0;
    cum += Number(c.n);
    const q = quantiles.get(k) ?? { q50: -1, q90: -1 };
    if (q.q50 < 0 && cum * 2 >= total) q.q50 = c.bucket;
    if (q.q90 < 0 && cum * 10 >= total * 9) q.q90 = c.bucket;
    quantiles.set(k, q);
  }
  return sizes.map((r) => ({
    metric,
    period: r.period,
    facilityId: r.facility_id,
    modality: null,
    value: Number(r.value),
    ...(quantiles.has(key(r.period, r.facility_id)) ? { quantiles: quantiles.get(key(r.period, r.facility_id))! } : {}),
  }));
}

/** Shares created in [from, to) whose validity ended without a revocation, per period of creation. */
export async function expiredShares(em: EntityManager, grain: Grain, from: string, to: string): Promise<CounterRow[]> {
  const rows = await em.execute<Array<{ period: string; value: string }>>(
    `select stats_period_start(?, created_at)::text as period, count(*) as value
     from share
     where revoked_at is null and expires_at <= now()
       and created_at >= (?::date)::timestamp at time zone 'Europe/Paris'
       and created_at < (?::date)::timestamp at time zone 'Europe/Paris'
     group by 1`,
    [grain, from, to],
  );
  return rows.map((r) => ({ metric: 'shares_expired', period: r.period, facilityId: null, modality: null, value: Number(r.value) }));
}

export async function facilitiesByIds(em: EntityManager, ids: string[]): Promise<Map<string, { id: string; name: string; finess: string }>> {
  if (ids.length === 0) return new Map();
  const rows = await em.execute<Array<{ id: string; name: string; finess: string }>>(
    `select id, name, finess from facility where id in (${ids.map(() => '?').join(', ')})`,
    ids,
  );
  return new Map(rows.map((r) => [r.id, r]));
}
