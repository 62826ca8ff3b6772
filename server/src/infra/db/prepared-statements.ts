import type pg from 'pg';
import { isReadOnlyStatement, retryOnConnectionLoss, unavailableIfLost } from './connection-loss.js';

/** A statement PostgreSQL prepares once per connection: its name must always go with the same text. */
export interface PreparedStatement {
  name: string;
  text: string;
}

/** Knex's client: its pool, and the events every statement is announced with. */
interface ConnectionPool {
  acquireConnection(): Promise<pg.Client>;
  releaseConnection(connection: pg.Client): unknown;
  emit(event: 'query', data: { sql: string; bindings: unknown[]; method: 'raw' }): boolean;
}

/** An ORM (its `em`) or an EntityManager: what reaches the connection pool. */
interface PoolSource {
  getConnection(): { getKnex(): { client: unknown } };
}

/**
 * Named statements on connections of the ORM's own pool, for what runs on every request: the
 * session behind a cookie, and the DICOMweb path a viewer calls once per image (frames).
 * PostgreSQL parses and plans them once per connection rather than on every request, and no
 * query builder runs. Everything else goes through the EntityManager. They run outside any
 * transaction of the EntityManager. Rows come back with the ORM's type parsing (timestamps as
 * text).
 */
export class PreparedStatements {
  private readonly pool: ConnectionPool;

  constructor(source: PoolSource | { em: PoolSource }) {
    const em = 'getConnection' in source ? source : source.em;
    this.pool = em.getConnection().getKnex().client as ConnectionPool;
  }

  /** Reads are run again on a fresh connection when theirs was lost (ADR 0092). */
  async query<T extends pg.QueryResultRow>(statement: PreparedStatement, values: unknown[]): Promise<T[]> {
    const run = () => this.queryOnce<T>(statement, values);
    if (isReadOnlyStatement(statement.text)) return retryOnConnectionLoss(run);
    return run().catch((err: unknown) => {
      throw unavailableIfLost(err);
    });
  }

  /**
   * `work` inside one transaction on one pooled connection: committed when it returns, rolled
   * back when it throws (its error is rethrown). For a write path taken once per item of a
   * batch (STOW: an instance's index rows), where the ORM's transaction costs more than the
   * statements it runs. Its start is retried on a lost connection, as the ORM's is.
   */
  async transaction<R>(work: (query: <T extends pg.QueryResultRow>(statement: PreparedStatement, values: unknown[]) => Promise<T[]>) => Promise<R>): Promise<R> {
    const connection = await retryOnConnectionLoss(async () => {
      const c = await this.pool.acquireConnection();
      try {
        await c.query('begin');
        return c;
      } catch (error) {
        this.pool.releaseConnection(c);
        throw error;
      }
    });
    const query = async <T extends pg.QueryResultRow>(statement: PreparedStatement, values: unknown[]): Promise<T[]> => {
      this.pool.emit('query', { sql: statement.text, bindings: values, method: 'raw' });
      return (await connection.query<T>({ name: statement.name, text: statement.text, values })).rows;
    };
    try {
      const result = await work(query);
      await connection.query('commit');
      return result;
    } catch (error) {
      await connection.query('rollback').catch(() => undefined);
      throw unavailableIfLost(error);
    } finally {
      this.pool.releaseConnection(connection);
    }
  }

  private async queryOnce<T extends pg.QueryResultRow>(statement: PreparedStatement, values: unknown[]): Promise<T[]> {
    const connection = await this.pool.acquireConnection();
    // Announced like the ORM's own statements, to whoever counts or logs them (knex 'query').
    this.pool.emit('query', { sql: statement.text, bindings: values, method: 'raw' });
    try {
      const result = await connection.query<T>({ name: statement.name, text: statement.text, values });
      return result.rows;
    } finally {
      this.pool.releaseConnection(connection);
    }
  }
}
