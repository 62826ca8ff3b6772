import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StagingArea } from './staging.js';
import { FileStorage, type Storage } from './storage.js';

describe('staged uploads', () => {
  let root: string;
  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'emage-staging-spec-'));
  });
  afterAll(() => fs.rm(root, { recursive: true, force: true }));

  it('streams an object to disk with its SHA-256, then renames it into place, leaving nothing staged', async () => {
    const storage: Storage = new FileStorage(path.join(root, 'store'));
    const data = randomBytes(300_000);
    const file = await storage.stage();
    for (let at = 0; at < data.length; at += 7_000) await file.write(data.subarray(at, at + 7_000));
    const sha256 = await file.finish();
    expect(sha256).toBe(createHash('sha256').update(data).digest('hex'));
    expect(file.size).toBe(data.length);
    await storage.putStaged('studies/1/2/3.dcm', file, sha256);
    expect((await storage.readAll('studies/1/2/3.dcm')).equals(data)).toBe(true);
    await storage.put('studies/1/2/4.dcm', data);
    expect(await fs.readdir(path.join(root, 'store', '.staging'))).toEqual([]);
  });

  it('removes what crashed processes left, at once on this host, by age for other hosts, never a live upload', async () => {
    const dir = path.join(root, 'sweep');
    const area = new StagingArea(dir);
    const live = await area.create();
    await live.write(Buffer.from('still arriving'));
    const [host, boot] = path.basename(live.path).split('~');
    // A pid no process has (above the kernel's pid_max on any default setup).
    const deadPid = 4_194_304 + 17;
    const names = {
      crashedHere: `${host}~${boot}~${deadPid}~${randomUUID()}.tmp`,
      samePidBeforeRestart: `${host}~${boot}~${process.pid}~${randomUUID()}.tmp`,
      livingNeighbour: `${host}~${boot}~${process.ppid}~${randomUUID()}.tmp`,
      otherHostRecent: `replica-b~${randomUUID()}~${deadPid}~${randomUUID()}.tmp`,
      otherHostStale: `replica-c~${randomUUID()}~${deadPid}~${randomUUID()}.tmp`,
    };
    for (const name of Object.values(names)) await fs.writeFile(path.join(dir, name), 'partial');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600 * 1000);
    await fs.utimes(path.join(dir, names.otherHostStale), twoHoursAgo, twoHoursAgo);

    expect(await area.sweep()).toBe(3);
    expect((await fs.readdir(dir)).sort()).toEqual([path.basename(live.path), names.livingNeighbour, names.otherHostRecent].sort());
    await live.discard();
    expect(await fs.readdir(dir)).not.toContain(path.basename(live.path));
  });

  it('creates a file on libuv\'s threads that a sweep treats as live, in a directory made if missing', async () => {
    const dir = path.join(root, 'background', 'staging');
    const area = new StagingArea(dir);
    const pending = area.createInBackground();
    // Swept while being created: never taken for a predecessor's file with this pid.
    expect(await area.sweep()).toBe(0);
    const file = await pending;
    expect(await area.sweep()).toBe(0);
    const data = randomBytes(10_000);
    await file.write(data);
    expect(await file.finish()).toBe(createHash('sha256').update(data).digest('hex'));
    expect((await fs.readFile(file.path)).equals(data)).toBe(true);
    await file.discard();
    expect(await fs.readdir(dir)).toEqual([]);
  });
});
