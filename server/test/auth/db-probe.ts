import type { TestServer } from '../harness.js';

/** Tables of the database where `needle` appears anywhere in a row (every column, as text). */
export async function tablesContaining(t: TestServer, needle: string): Promise<string[]> {
  const conn = t.deps.orm.em.fork().getConnection();
  const tables = await conn.execute<{ tablename: string }[]>(`select tablename from pg_tables where schemaname = 'public'`);
  const hits: string[] = [];
  for (const { tablename } of tables) {
    const rows = await conn.execute<{ n: number }[]>(
      `select count(*)::int as n from "${tablename}" r where strpos(r::text, ?) > 0`,
      [needle],
    );
    if ((rows[0]?.n ?? 0) > 0) hits.push(tablename);
  }
  return hits;
}

export async function sql<T = Record<string, unknown>>(t: TestServer, query: string, params: unknown[] = []): Promise<T[]> {
  return t.deps.orm.em.fork().getConnection().execute<T[]>(query, params);
}

export function tokenIn(text: string, path: string): string {
  const m = new RegExp(`/${path}#token=([A-Za-z0-9_-]+)`).exec(text);
  if (!m?.[1]) throw new Error(`No /${path}#token= link in:\n${text}`);
  return m[1];
}

/** Waits until the outbox has marked every mail to `to` as sent (the catcher sees a mail first). */
export async function outboxSettled(t: TestServer, to: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await sql(t, `select 1 from outbox_message where "to" = ? and sent_at is null and failed_at is null`, [to])).length > 0) {
    if (Date.now() > deadline) throw new Error(`The outbox still holds unsent mail to ${to}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls `query` until it returns `n` rows: for work done after the answer (a reset request's, ADR 0096). */
export async function rowsOnceThere<T = Record<string, unknown>>(t: TestServer, query: string, params: unknown[], n: number, timeoutMs = 10_000): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await sql<T>(t, query, params);
    if (rows.length >= n) return rows;
    if (Date.now() > deadline) throw new Error(`Expected ${n} rows, got ${rows.length}: ${query}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * How many SQL statements the server sends while `work` runs that `counts` accepts (every
 * statement of the ORM and of PreparedStatements is announced on knex's client, 'query').
 */
export async function statementsDuring(t: TestServer, counts: (sql: string) => boolean, work: () => Promise<unknown>): Promise<number> {
  const client = t.deps.orm.em.getConnection().getKnex().client as unknown as {
    on(e: 'query', l: (d: { sql?: string }) => void): void;
    off(e: 'query', l: (d: { sql?: string }) => void): void;
  };
  let n = 0;
  const count = (d: { sql?: string }) => {
    if (counts(d.sql ?? '')) n++;
  };
  client.on('query', count);
  try {
    await work();
  } finally {
    client.off('query', count);
  }
  return n;
}
