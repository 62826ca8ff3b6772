import fs from 'node:fs/promises';
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
    databasePrefix: string;
  }
}

/**
 * One PostgreSQL for the whole run: the server at DATABASE_URL when set, an embedded one
 * otherwise. Migrations run once into a template database; each test file clones it
 * (CREATE DATABASE … TEMPLATE, a few milliseconds) so files run in parallel in isolation.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let embedded: EmbeddedDatabase | undefined;
  let embeddedDir: string | undefined;
  let adminUrl: string;
  if (process.env.DATABASE_URL) {
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = '/postgres';
    adminUrl = u.toString();
  } else {
    // A cluster per run: concurrent runs (several developers' terminals) never share one.
    embeddedDir = path.join(repoRoot, '.data', `test-postgres-${process.pid}`);
    embedded = await startEmbeddedPostgres(embeddedDir, { database: 'postgres' });
    adminUrl = embedded.url;
  }
  const prefix = `emage_test_${process.pid}_`;
  const template = `${prefix}tpl`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  // Databases left by interrupted runs (their process is gone); a live run's are left alone.
  const stale = await admin.query<{ datname: string }>(`select datname from pg_database where datname like 'emage\\_test\\_%'`);
  for (const { datname } of stale.rows) {
    const pid = Number(/^emage_test_(\d+)_/.exec(datname)?.[1]);
    if (!pid || !isAlive(pid)) await admin.query(`drop database if exists "${datname}" with (force)`);
  }
  await admin.query(`create database "${template}"`);
  const tplUrl = new URL(adminUrl);
  tplUrl.pathname = `/${template}`;
  const orm = await initOrm(tplUrl.toString(), 2);
  await migrate(orm);
  await orm.close(true);

  project.provide('pgAdminUrl', adminUrl);
  project.provide('templateDatabase', template);
  project.provide('databasePrefix', prefix);

  return async () => {
    const dbs = await admin.query<{ datname: string }>(`select datname from pg_database where starts_with(datname, $1)`, [prefix]);
    for (const { datname } of dbs.rows) await admin.query(`drop database if exists "${datname}" with (force)`);
    await admin.end();
    await embedded?.stop();
    if (embeddedDir) await fs.rm(embeddedDir, { recursive: true, force: true });
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
