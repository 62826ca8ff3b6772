import type pg from 'pg';
import type { Orm } from '../../infra/db/orm.js';

/** A statement PostgreSQL prepares once per connection: its name must always go with the same text. */
export interface PreparedStatement {
  name: string;
  text: string;
}

interface ConnectionPool {
  acquireConnection(): Promise<pg.Client>;
  releaseConnection(connection: pg.Client): unknown;
}

/**
 * Named statements on connections of the ORM's own pool, for the DICOMweb path a viewer calls
 * once per image (frames): PostgreSQL parses and plans them once per connection rather than on
 * every request, and no query builder runs. Everything else goes through the EntityManager.
 * Rows come back with the ORM's type parsing (timestamps as text): select numbers or text.
 */
export class PreparedStatements {
  private readonly pool: ConnectionPool;

  constructor(orm: Orm) {
    this.pool = orm.em.getConnection().getKnex().client as ConnectionPool;
  }

  async query<T extends pg.QueryResultRow>(statement: PreparedStatement, values: unknown[]): Promise<T[]> {
    const connection = await this.pool.acquireConnection();
    try {
      const result = await connection.query<T>({ name: statement.name, text: statement.text, values });
      return result.rows;
    } finally {
      this.pool.releaseConnection(connection);
    }
  }
}
