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
  /** -1 for plain counters; the class lower bound for histograms. */
  bucket: number;
  value: number;
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
  const rows = await em.execute<Array<{ metric: string; period: string; facility_id: string | null; modality: string | null; bucket: number; value: string }>>(
    `select metric, period_start::text as period, ${facility} as facility_id, ${modality} as modality, bucket, sum(value) as value
     from stats_counter
     where metric in (${metrics.map(() => '?').join(', ')}) and grain = ? and period_start >= ?::date and period_start < ?::date
     group by 1, 2, 3, 4, 5
     having sum(value) <> 0`,
    [...metrics, grain, from, to],
  );
  return rows.map((r) => ({ metric: r.metric, period: r.period, facilityId: r.facility_id, modality: r.modality, bucket: r.bucket, value: Number(r.value) }));
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
  return rows.map((r) => ({ metric: 'shares_expired', period: r.period, facilityId: null, modality: null, bucket: -1, value: Number(r.value) }));
}

export async function facilitiesByIds(em: EntityManager, ids: string[]): Promise<Map<string, { id: string; name: string; finess: string }>> {
  if (ids.length === 0) return new Map();
  const rows = await em.execute<Array<{ id: string; name: string; finess: string }>>(
    `select id, name, finess from facility where id in (${ids.map(() => '?').join(', ')})`,
    ids,
  );
  return new Map(rows.map((r) => [r.id, r]));
}
