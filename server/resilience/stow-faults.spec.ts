/**
 * STOW-RS under faults (issue 17 §9, §11): the built server killed with SIGKILL in the middle of a
 * large upload, then restarted, keeps no trace of it (no staged file, no file, no row) and
 * stores the retry exactly once; the malformed corpus and over a thousand mutated instances
 * (bit flips, truncations, lying lengths, overwritten runs; generated from a fixed seed) never
 * get a 5xx nor leave anything half-stored, and the server's memory stays bounded.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, startBuiltServer, type BuiltServer, type FreshDatabase } from './support/built-server.js';
import { createFacilityKey } from './support/portal.js';
import { corpusDir, filesUnder, hugeInstance, mutants, rssMb, sha256, sopInstanceUidOf, stowStreamed, stowUids } from './support/stow-faults.js';

async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

const instanceRows = (url: string): Promise<Array<{ sop: string; key: string; size: number; sha256: string }>> =>
  query(url, 'select sop_instance_uid as sop, storage_key as key, size::int as size, sha256 from dicom_instance');

/** Samples a process's RSS every 25 ms until stopped; returns the peak. */
function rssSampler(pid: number): { stop(): number } {
  let peak = rssMb(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMb(pid));
    } catch {
      // the process is gone
    }
  }, 25);
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

describe('STOW-RS under faults', () => {
  let db: FreshDatabase;
  let server: BuiltServer | undefined;
  let key: string;
  beforeAll(async () => {
    db = await freshDatabase();
    key = await createFacilityKey(db.url);
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('kill -9 during a 200 MB upload, then a restart: nothing of it is kept, and the retry is stored exactly once', async () => {
    server = await startBuiltServer({ DATABASE_URL: db.url });
    const { dataDir } = server;
    const storage = path.join(dataDir, 'storage');
    const staging = path.join(storage, '.staging');
    const instance = hugeInstance(400, 17); // 400 frames of 512×512×16 bits: 210 MB
    expect(instance.size).toBeGreaterThan(200_000_000);

    // Streamed slowly; once 100 MB are in, the server is killed mid-body.
    const victim = server;
    let killed = false;
    const interrupted = await stowStreamed(victim.url, key, [instance.chunks()], async (written) => {
      if (!killed && written >= 100_000_000) {
        killed = true;
        expect(filesUnder(staging).length).toBe(1);
        await victim.kill9();
      } else {
        await new Promise((r) => setTimeout(r, 2));
      }
    });
    expect(killed).toBe(true);
    expect(interrupted.status).toBe(0);
    const leftByCrash = filesUnder(staging);
    console.log(`kill -9 after 100 MB: ${leftByCrash.length} staged file(s) left by the crash, ${Math.round(statSync(leftByCrash[0] ?? staging).size / 1e6)} MB`);
    expect(leftByCrash.length).toBe(1);
    expect(await instanceRows(db.url)).toEqual([]);

    server = await startBuiltServer({ DATABASE_URL: db.url, DATA_DIR: dataDir });
    // Swept at start-up: the process that wrote it is gone.
    expect(filesUnder(staging)).toEqual([]);
    expect(filesUnder(path.join(storage, 'studies'))).toEqual([]);

    const retry = await stowStreamed(server.url, key, [instance.chunks()]);
    expect([retry.status, retry.error, stowUids(retry.json).stored]).toEqual([200, undefined, [instance.sopInstanceUid]]);
    const rows = await instanceRows(db.url);
    expect(rows.map((r) => [r.sop, r.size, r.sha256])).toEqual([[instance.sopInstanceUid, instance.size, instance.sha256]]);
    const files = filesUnder(path.join(storage, 'studies'));
    expect(files).toEqual([path.join(storage, rows[0]!.key)]);
    expect(statSync(files[0]!).size).toBe(instance.size);
    expect(filesUnder(staging)).toEqual([]);
  });

  it('the malformed corpus and 1,050 mutated instances: no 5xx, nothing half-stored, memory bounded', async () => {
    // The restarted server of the previous test when there is one: a start costs seconds here.
    server ??= await startBuiltServer({ DATABASE_URL: db.url });
    const storage = path.join(server.dataDir, 'storage');
    const before = new Set((await instanceRows(db.url)).map((r) => r.sop));
    const filesBefore = filesUnder(path.join(storage, 'studies')).length;

    const malformedDir = path.join(corpusDir, 'malformed');
    const malformed = readdirSync(malformedDir).sort().map((f) => readFileSync(path.join(malformedDir, f)));
    const sources = ['MR_small.dcm', 'MR_small_implicit.dcm', 'MR_small_bigendian.dcm', 'JPGExtended.dcm', 'SC_rgb_rle_2frame.dcm', 'CT_small.dcm', 'test-SR.dcm'];
    const mutated = sources.flatMap((file, i) => mutants(readFileSync(path.join(corpusDir, 'pydicom', file)), 150, 1000 + i));
    const files = [...malformed, ...mutated.map((m) => m.data)];
    expect(mutated.length).toBeGreaterThanOrEqual(1000);

    const sent = new Map<string, Set<string>>(); // SOPInstanceUID → sha256 of every file sent under it
    for (const f of files) {
      const uid = sopInstanceUidOf(f);
      if (uid) sent.set(uid, (sent.get(uid) ?? new Set()).add(sha256(f)));
    }
    const idle = rssMb(server.pid);
    const sampler = rssSampler(server.pid);
    const started = Date.now();
    let stored = 0;
    let refused = 0;
    let serverErrors = 0;
    let connectionErrors = 0;
    const reportedStored = new Set<string>();
    // 50 instances per request, as a PACS sends a series.
    for (let i = 0; i < files.length; i += 50) {
      const batch = files.slice(i, i + 50);
      const answer = await stowStreamed(server.url, key, batch.map((f) => [f]));
      if (answer.status >= 500) serverErrors++;
      if (answer.error) connectionErrors++;
      const { stored: ok, failed } = stowUids(answer.json);
      expect([i, answer.status, ok.length + failed]).toEqual([i, answer.status, batch.length]);
      stored += ok.length;
      refused += failed;
      for (const uid of ok) reportedStored.add(uid);
    }
    const peak = sampler.stop();
    const seconds = (Date.now() - started) / 1000;

    // Every row: a file of the right size whose bytes are those of a file sent under its UID;
    // every instance reported stored has its row; no other file in storage, nothing staged.
    const rows = (await instanceRows(db.url)).filter((r) => !before.has(r.sop));
    let byteIdentical = 0;
    for (const row of rows) {
      const bytes = readFileSync(path.join(storage, row.key));
      expect([row.sop, bytes.length, sha256(bytes)]).toEqual([row.sop, row.size, row.sha256]);
      expect(sent.get(row.sop)?.has(row.sha256)).toBe(true);
      byteIdentical++;
    }
    expect(new Set(rows.map((r) => r.sop))).toEqual(reportedStored);
    expect(filesUnder(path.join(storage, 'studies')).length).toBe(filesBefore + rows.length);
    expect(filesUnder(path.join(storage, '.staging'))).toEqual([]);
    const [orphans] = await query<{ n: number }>(db.url, 'select count(*)::int as n from dicom_series se where not exists (select 1 from dicom_instance i where i.series_id = se.id)');

    console.log(
      `STOW fuzz: ${files.length} files sent (${malformed.length} malformed, ${mutated.length} mutated) in ${Math.ceil(files.length / 50)} requests, ${seconds.toFixed(1)} s; ` +
        `${stored} stored (${rows.length} new rows, ${byteIdentical} read back byte-identical), ${refused} refused, ${serverErrors} 5xx, ${connectionErrors} connection errors; ` +
        `server RSS ${idle.toFixed(0)} MB idle, ${peak.toFixed(0)} MB peak`,
    );
    expect(serverErrors).toBe(0);
    expect(connectionErrors).toBe(0);
    expect(orphans?.n).toBe(0);
    expect(refused).toBeGreaterThan(300);
    expect(peak - idle).toBeLessThan(150);
  });
});
