import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { repoRoot } from '../src/config.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/infra/db/embedded-postgres.js';
import { initOrm, migrate } from '../src/infra/db/orm.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    templateDatabase: string;
  }
}

/**
 * One PostgreSQL for the whole run: the server at DATABASE_URL when set, an embedded one
 * otherwise. Migrations run once into a template database; each test file clones it
 * (CREATE DATABASE … TEMPLATE, a few milliseconds) so files run in parallel in isolation.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let embedded: EmbeddedDatabase | undefined;
  let adminUrl: string;
  if (process.env.DATABASE_URL) {
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = '/postgres';
    adminUrl = u.toString();
  } else {
    embedded = await startEmbeddedPostgres(path.join(repoRoot, '.data', 'test-postgres'), { database: 'postgres' });
    adminUrl = embedded.url;
  }
  const template = `emage_test_tpl_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  // Databases left by an interrupted run.
  const stale = await admin.query<{ datname: string }>(`select datname from pg_database where datname like 'emage_test_%'`);
  for (const { datname } of stale.rows) await admin.query(`drop database if exists "${datname}" with (force)`);
  await admin.query(`create database "${template}"`);
  const tplUrl = new URL(adminUrl);
  tplUrl.pathname = `/${template}`;
  const orm = await initOrm(tplUrl.toString(), 2);
  await migrate(orm);
  await orm.close(true);

  project.provide('pgAdminUrl', adminUrl);
  project.provide('templateDatabase', template);

  return async () => {
    const dbs = await admin.query<{ datname: string }>(`select datname from pg_database where datname like 'emage_test_%'`);
    for (const { datname } of dbs.rows) await admin.query(`drop database if exists "${datname}" with (force)`);
    await admin.end();
    await embedded?.stop();
  };
}
