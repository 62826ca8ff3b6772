import type { Configuration, EntityData, AnyEntity, LoggingOptions, Transaction } from '@mikro-orm/core';
import { AbstractSqlDriver, type Knex } from '@mikro-orm/knex';
import { PostgreSqlConnection, PostgreSqlPlatform } from '@mikro-orm/postgresql';
import { isReadOnlyStatement, retryOnConnectionLoss, unavailableIfLost } from './connection-loss.js';
import { withDbSpan } from '../tracing.js';

type Statement = string | Knex.QueryBuilder | Knex.Raw;
type BeginOptions = Parameters<PostgreSqlConnection['begin']>[0];

const rethrowUnavailable = (err: unknown): never => {
  throw unavailableIfLost(err);
};

/**
 * The ORM's connection, which steps over pooled connections that died between two uses (a
 * failover, a restart, a pooler or a timeout ends them while idle): a read outside any
 * transaction, and the start of a transaction, are run again on a fresh connection. Nothing else
 * is: a write may have committed before its answer was lost, and a transaction's work is gone
 * with its connection. What cannot be stepped over is told as SERVICE_UNAVAILABLE (try again),
 * never as an internal error. ADR 0092.
 */
class ResilientPostgreSqlConnection extends PostgreSqlConnection {
  override async execute<T extends EntityData<AnyEntity> | EntityData<AnyEntity>[] = EntityData<AnyEntity>[]>(
    statement: Statement,
    params?: unknown[],
    method?: 'all' | 'get' | 'run',
    ctx?: Transaction,
    loggerContext?: LoggingOptions,
  ): Promise<T> {
    const sqlOf = () => (typeof statement === 'string' ? statement : (statement as { toSQL(): { sql: string } }).toSQL().sql);
    const run = () => withDbSpan(sqlOf, () => super.execute<T>(statement, params, method, ctx, loggerContext)).catch(rethrowUnavailable);
    if (ctx) return run();
    if (typeof statement !== 'string') {
      const builder = statement as { client?: { transacting?: boolean }; toSQL(): { sql: string } };
      if (builder.client?.transacting || !isReadOnlyStatement(builder.toSQL().sql)) return run();
    } else if (!isReadOnlyStatement(statement)) {
      return run();
    }
    return retryOnConnectionLoss(run);
  }

  override async begin(options: BeginOptions = {}): Promise<Knex.Transaction> {
    // A savepoint lives on its transaction's connection: nothing to step over.
    if (options.ctx) return this.beginOnce(options).catch(rethrowUnavailable);
    return retryOnConnectionLoss(() => this.beginOnce(options));
  }

  /**
   * knex swallows a BEGIN that failed: the transaction comes back already completed, the error
   * kept in its executionPromise, and its first statement fails with "Transaction query already
   * complete". Here the failure is the BEGIN's own.
   */
  private async beginOnce(options: BeginOptions): Promise<Knex.Transaction> {
    const trx = await super.begin(options);
    if (!trx.isCompleted()) return trx;
    const executed = (trx as { executionPromise?: Promise<unknown> }).executionPromise;
    throw (await executed?.then(() => undefined, (err: unknown) => err)) ?? new Error('Connection terminated: the transaction could not begin');
  }

  override async commit(...args: Parameters<PostgreSqlConnection['commit']>): Promise<void> {
    await super.commit(...args).catch(rethrowUnavailable);
  }

  override async rollback(...args: Parameters<PostgreSqlConnection['rollback']>): Promise<void> {
    await super.rollback(...args).catch(rethrowUnavailable);
  }
}

/** PostgreSqlDriver with the connection above. */
export class ResilientPostgreSqlDriver extends AbstractSqlDriver<ResilientPostgreSqlConnection, PostgreSqlPlatform> {
  constructor(config: Configuration) {
    super(config, new PostgreSqlPlatform(), ResilientPostgreSqlConnection, ['knex', 'pg']);
  }
}
