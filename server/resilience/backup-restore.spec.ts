/**
 * Backup and restore as docs/operations.md tells an operator to do them: `pg_dump -Fc` of the
 * database, then a copy of the storage directory; restored into a new, empty database
 * (`pg_restore`) and a new directory, a server started on them serves what the first one did: the
 * exam row as it was, the physician's sign-in, and the study's frame byte for byte.
 * Runs against the machine's PostgreSQL (pg_dump and pg_restore of the same major).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { rppsWithCheckDigit } from '../src/common/identifiers.js';
import { freshDatabase, pgAdminUrl, startBuiltServer, type BuiltServer, type FreshDatabase } from './support/built-server.js';
import { publishNewExam } from './support/db-faults.js';
import { createFacilityKey, createUser, login } from './support/portal.js';

const run = promisify(execFile);
const PASSWORD = 'Correct-horse-battery-42';
const RPPS = rppsWithCheckDigit('1000000912');
const PHYSICIAN = 'restore@example.org';

async function query<T>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}

interface Frame {
  study: string;
  series: string;
  instance: string;
}

async function firstFrame(server: BuiltServer, cookie: string, f: Frame): Promise<Buffer> {
  const res = await fetch(`${server.url}/dicomweb/studies/${f.study}/series/${f.series}/instances/${f.instance}/frames/1`, {
    headers: { cookie, accept: 'multipart/related; type="application/octet-stream"; transfer-syntax=*' },
  });
  expect(res.status).toBe(200);
  // The one part's body, without the multipart framing (its boundary differs per answer).
  const boundary = /boundary="?([^";]+)"?/.exec(res.headers.get('content-type') ?? '')?.[1];
  const body = Buffer.from(await res.arrayBuffer());
  const start = body.indexOf('\r\n\r\n') + 4;
  const end = body.indexOf(`\r\n--${boundary}--`);
  expect(boundary && start > 3 && end > start).toBeTruthy();
  return body.subarray(start, end);
}

describe('backup and restore: the database and the files together', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  it('a server on the restored database and directory serves the exam and its frames as before', async () => {
    // The portal in service: an exam published, with its images in the storage directory.
    const db: FreshDatabase = await freshDatabase();
    cleanups.push(() => db.drop());
    const work = await fs.mkdtemp(path.join(os.tmpdir(), 'emage-backup-'));
    cleanups.push(() => fs.rm(work, { recursive: true, force: true }));
    const storage = path.join(work, 'storage');
    await createUser(db.url, { email: PHYSICIAN, role: 'PHYSICIAN', rpps: RPPS, password: PASSWORD });
    const key = await createFacilityKey(db.url);
    const before = await startBuiltServer({ DATABASE_URL: db.url, STORAGE_DIR: storage });
    cleanups.push(() => before.stop());
    const examId = await publishNewExam(before.url, key, RPPS);
    const examRow = `select id, accession_number, study_instance_uid, title, date, modalities, status from exam where id = $1`;
    const [exam] = await query<Record<string, unknown>>(db.url, examRow, [examId]);
    const [frame] = await query<Frame>(
      db.url,
      `select s.study_instance_uid as study, se.series_instance_uid as series, i.sop_instance_uid as instance
         from dicom_instance i join dicom_series se on se.id = i.series_id join dicom_study s on s.id = se.study_id
        where s.study_instance_uid = $1`,
      [exam!.study_instance_uid],
    );
    const pixels = await firstFrame(before, await login(before.url, PHYSICIAN, PASSWORD), frame!);
    expect(pixels.length).toBeGreaterThan(0);

    // Backup, in the documented order: the database first, then the files (files are only ever
    // added, so every file the dump names is in the copy made after it).
    const dump = path.join(work, 'e-mage.dump');
    await run('pg_dump', ['--format=custom', '--no-owner', `--file=${dump}`, db.url]);
    await fs.cp(storage, path.join(work, 'storage-copy'), { recursive: true });
    await before.stop();
    // The disaster: the database and the directory are gone.
    await db.drop();
    await fs.rm(storage, { recursive: true, force: true });

    // Restore into a new, empty database and directory.
    const name = `emage_restored_${process.pid}`;
    const admin = new pg.Client({ connectionString: pgAdminUrl });
    await admin.connect();
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.query(`create database "${name}"`);
    await admin.end();
    const restoredUrl = Object.assign(new URL(pgAdminUrl), { pathname: `/${name}` }).toString();
    cleanups.push(async () => {
      const c = new pg.Client({ connectionString: pgAdminUrl });
      await c.connect();
      await c.query(`drop database if exists "${name}" with (force)`);
      await c.end();
    });
    await run('pg_restore', ['--no-owner', '--exit-on-error', `--dbname=${restoredUrl}`, dump]);
    const restoredStorage = path.join(work, 'restored-storage');
    await fs.cp(path.join(work, 'storage-copy'), restoredStorage, { recursive: true });

    const after = await startBuiltServer({ DATABASE_URL: restoredUrl, STORAGE_DIR: restoredStorage });
    cleanups.push(() => after.stop());
    expect(await query(restoredUrl, examRow, [examId])).toEqual([exam]);
    const cookie = await login(after.url, PHYSICIAN, PASSWORD);
    expect((await firstFrame(after, cookie, frame!)).equals(pixels)).toBe(true);
  }, 600_000);
});
