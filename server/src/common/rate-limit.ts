import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import { rateLimited } from './errors.js';

/**
 * Fixed-window counter in PostgreSQL, so the limit holds across replicas. One statement per
 * call; old windows are purged opportunistically.
 */
export async function consumeRateLimit(
  em: EntityManager,
  config: Pick<Config, 'rateLimitScale'>,
  key: string,
  baseLimit: number,
  windowSeconds: number,
): Promise<void> {
  const limit = Math.max(1, Math.round(baseLimit * config.rateLimitScale));
  const rows = await em.execute<{ count: number; window_start: Date }[]>(
    `insert into rate_limit (key, window_start, count)
     values (?, to_timestamp(floor(extract(epoch from now()) / ?) * ?), 1)
     on conflict (key, window_start) do update set count = rate_limit.count + 1
     returning count, window_start`,
    [key, windowSeconds, windowSeconds],
  );
  const row = rows[0];
  if (Math.random() < 0.01) {
    await em.execute(`delete from rate_limit where window_start < now() - interval '1 day'`);
  }
  if (row && row.count > limit) {
    const end = new Date(row.window_start).getTime() + windowSeconds * 1000;
    throw rateLimited(Math.max(1, Math.ceil((end - Date.now()) / 1000)));
  }
}
