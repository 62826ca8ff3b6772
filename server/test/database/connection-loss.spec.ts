import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { forkEm } from '../../src/bootstrap.js';
import { POOL_APPLICATION_NAME } from '../../src/infra/db/orm.js';
import { PreparedStatements } from '../../src/infra/db/prepared-statements.js';
import { READ_CACHE_TTL_MS } from '../../src/modules/dicomweb/read-cache.js';
import { Role } from '../../src/modules/auth/user.entity.js';
import { startTestServer, type TestServer } from '../harness.js';

/**
 * Pool connections ended under the server (a failover, a restart, a pooler, a timeout): a read
 * steps over to a fresh connection; what cannot be repeated safely is refused as
 * SERVICE_UNAVAILABLE (HTTP 503, Retry-After), never as an internal error (ADR 0092).
 */
describe('pool connections lost: reads step over, the rest is refused as unavailable', () => {
  let t: TestServer;
  let admin: pg.Client;

  beforeAll(async () => {
    t = await startTestServer();
    admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.query(`alter database "${t.db.name}" allow_connections true`).catch(() => undefined);
    await admin?.end();
    await t?.stop();
  });

  /** Terminates the server's backend running the statement that carries `marker`, once it runs. */
  async function terminateWhenRunning(marker: string): Promise<void> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const r = await admin.query<{ pid: number }>(
        `select pid from pg_stat_activity where datname = $1 and application_name = $2 and state = 'active' and strpos(query, $3) > 0`,
        [t.db.name, POOL_APPLICATION_NAME, marker],
      );
      if (r.rows[0]) {
        await admin.query('select pg_terminate_backend($1)', [r.rows[0].pid]);
        return;
      }
      if (Date.now() > deadline) throw new Error(`no backend ran ${marker}`);
      await new Promise((res) => setTimeout(res, 10));
    }
  }

  const marker = (what: string) => `${what}_${randomBytes(4).toString('hex')}`;
  const codeOf = (err: unknown) => (err as { code?: unknown }).code;

  it('a read whose connection is terminated while it runs is run again on a fresh one, and answers', async () => {
    const m = marker('read');
    const read = forkEm(t.deps).getConnection().execute<Array<{ answer: number }>>(`select 42 as answer from pg_sleep(0.5) /* ${m} */`);
    await terminateWhenRunning(m);
    expect(await read).toEqual([{ answer: 42 }]);
  });

  it('so is a prepared statement (the session lookup every request makes)', async () => {
    const m = marker('prepared');
    const read = new PreparedStatements(t.deps.orm).query<{ answer: number }>({ name: m, text: `select 42 as answer from pg_sleep(0.5) /* ${m} */` }, []);
    await terminateWhenRunning(m);
    expect(await read).toEqual([{ answer: 42 }]);
  });

  it('a write whose connection is terminated is not run again: SERVICE_UNAVAILABLE, and it did not happen', async () => {
    const { userId } = await t.login(Role.PHYSICIAN, { firstName: 'Once' });
    const m = marker('write');
    const write = forkEm(t.deps)
      .getConnection()
      .execute(`with s as (select pg_sleep(0.5)) update app_user set first_name = first_name || '!' from s where id = ? /* ${m} */`, [userId]);
    // Its outcome is taken at once: the write may fail while the termination is still being confirmed.
    const outcome = write.then(() => null, (e: unknown) => e);
    await terminateWhenRunning(m);
    const err = await outcome;
    expect(codeOf(err)).toBe('SERVICE_UNAVAILABLE');
    const [row] = await forkEm(t.deps).getConnection().execute<Array<{ first_name: string }>>('select first_name from app_user where id = ?', [userId]);
    expect(row!.first_name).toBe('Once');
  });

  it('a transaction whose connection is terminated fails as SERVICE_UNAVAILABLE', async () => {
    const m = marker('transaction');
    const transaction = forkEm(t.deps).transactional((tx) => tx.getConnection().execute(`select pg_sleep(0.5) /* ${m} */`, [], 'all', tx.getTransactionContext()));
    const outcome = transaction.then(() => null, (e: unknown) => e);
    await terminateWhenRunning(m);
    const err = await outcome;
    expect(codeOf(err)).toBe('SERVICE_UNAVAILABLE');
  });

  it('with the database refusing connections, a signed-in request is answered 503 SERVICE_UNAVAILABLE with Retry-After, not a 500; then served again', async () => {
    const { client, email } = await t.login(Role.PHYSICIAN);
    // A query may reuse the session's row read less than READ_CACHE_TTL_MS ago (ADR 0142) and
    // then needs no connection at all: past it, the request must reach the database.
    await new Promise((r) => setTimeout(r, READ_CACHE_TTL_MS + 100));
    await admin.query(`alter database "${t.db.name}" allow_connections false`);
    try {
      const pool = await admin.query<{ pid: number }>(`select pid from pg_stat_activity where datname = $1 and application_name = $2`, [t.db.name, POOL_APPLICATION_NAME]);
      for (const { pid } of pool.rows) await admin.query('select pg_terminate_backend($1)', [pid]);
      const res = await client.fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { email } }' }) });
      const body = (await res.json()) as { errors?: Array<{ message: string; extensions?: { code?: string } }> };
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(JSON.stringify(body)).not.toMatch(/accepting connections|stack|at /);
    } finally {
      await admin.query(`alter database "${t.db.name}" allow_connections true`);
    }
    expect(await client.mustQuery<{ me: { email: string } }>('{ me { email } }')).toEqual({ me: { email } });
  });
});
