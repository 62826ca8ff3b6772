import 'reflect-metadata';
import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import pg from 'pg';
import type { Logger } from '../logger.js';
import { entities } from './entities.js';
import { migrationsList } from './migrations/index.js';
import { ResilientPostgreSqlDriver } from './resilient-driver.js';

export type Orm = MikroORM;

export const POOL_APPLICATION_NAME = 'e-mage';

/**
 * The pool's warnings (a connection found dead and dropped, after a failover or a restart) go to
 * the server's log as JSON lines rather than to stdout as bare text. Its errors are left out:
 * they can quote statements, whose values may be patient data.
 */
const poolLog = (logger: Logger) => ({ warn: (message: string) => logger.warn({ pool: message.slice(0, 200) }, 'database pool') });

export function ormOptions(databaseUrl: string, poolMax = 20, logger?: Logger): Options {
  return {
    clientUrl: databaseUrl,
    entities,
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    extensions: [Migrator],
    migrations: { migrationsList, transactional: true, allOrNothing: true },
    forceUtcTimezone: true,
    driver: ResilientPostgreSqlDriver,
    // Named in pg_stat_activity (LISTEN has its own name): operators see which connections are the portal's.
    // JIT off: the portal's reads are index lookups over one physician's rows, whose planner
    // estimates (one correlated lookup per patient) cross jit_above_cost, and compiling then costs
    // far more than running (a filtered dashboard: ~50 ms of work, +100–400 ms of JIT; ADR 0097).
    driverOptions: { connection: { application_name: POOL_APPLICATION_NAME, options: '-c jit=off' }, ...(logger ? { log: poolLog(logger) } : {}) },
    pool: { min: 0, max: poolMax },
    // Query logging would print parameters, which can hold patient data.
    debug: false,
    allowGlobalContext: false,
    ensureDatabase: false,
  };
}

export async function initOrm(databaseUrl: string, poolMax?: number, logger?: Logger): Promise<Orm> {
  return MikroORM.init(ormOptions(databaseUrl, poolMax, logger));
}

const MIGRATION_LOCK = 7_243_001;

/**
 * Applies pending migrations. Schema changes happen only here, never by schema:update.
 * Replicas starting together queue on an advisory lock; the later ones find nothing to do.
 */
export async function migrate(orm: Orm): Promise<string[]> {
  const lock = new pg.Client({ connectionString: orm.config.get('clientUrl'), application_name: POOL_APPLICATION_NAME });
  // A lost connection rejects the statement it was running, and then reports again as an
  // 'error' event: unhandled, that second report would end the process.
  lock.on('error', () => undefined);
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const done = await orm.getMigrator().up();
    return done.map((m) => m.name);
  } finally {
    await lock.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await lock.end();
  }
}
