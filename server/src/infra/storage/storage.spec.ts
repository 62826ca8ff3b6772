import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventLoopReads, FileStorage } from './storage.js';

const openFiles = (): number => readdirSync('/proc/self/fd').length;

describe('FileStorage reads through kept-open file handles', () => {
  let root: string;
  let storage: FileStorage;
  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'emage-storage-spec-'));
    storage = new FileStorage(root);
  });
  afterAll(() => fs.rm(root, { recursive: true, force: true }));

  it('reads ranges into the caller’s buffer, at the offset asked, in the order given', async () => {
    const data = randomBytes(4096);
    await storage.put('a/one.dcm', data);
    const target = Buffer.alloc(110, 0xff);
    await storage.readRangesInto('a/one.dcm', [[1000, 50], [10, 50]], target, 5);
    expect(target.subarray(0, 5)).toEqual(Buffer.alloc(5, 0xff));
    expect(target.subarray(5, 55)).toEqual(data.subarray(1000, 1050));
    expect(target.subarray(55, 105)).toEqual(data.subarray(10, 60));
    expect(target.subarray(105)).toEqual(Buffer.alloc(5, 0xff));
    expect(await storage.readRanges('a/one.dcm', [[4000, 96]])).toEqual(data.subarray(4000));
  });

  it('never serves the old bytes of a rewritten key, nor a deleted one', async () => {
    await storage.put('b/two.dcm', Buffer.alloc(64, 1));
    expect(await storage.readRanges('b/two.dcm', [[0, 4]])).toEqual(Buffer.alloc(4, 1));
    await storage.put('b/two.dcm', Buffer.alloc(64, 2));
    expect(await storage.readRanges('b/two.dcm', [[0, 4]])).toEqual(Buffer.alloc(4, 2));
    await storage.delete('b/two.dcm');
    await expect(storage.readRanges('b/two.dcm', [[0, 4]])).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reads the same through its callback form, and fails it as the promise form fails', async () => {
    const data = randomBytes(4096);
    await storage.put('f/cb.dcm', data);
    const read = (key: string, ranges: Array<[number, number]>, target: Buffer, at: number) =>
      new Promise<void>((resolve, reject) => storage.readRangesIntoCallback(key, ranges, target, at, (error) => (error ? reject(error) : resolve())));
    for (let i = 0; i < 2; i++) {
      // The first read opens the file, the second finds it open.
      const target = Buffer.alloc(104, 0xff);
      await read('f/cb.dcm', [[3000, 50], [7, 50]], target, 2);
      expect(target.subarray(0, 2)).toEqual(Buffer.alloc(2, 0xff));
      expect(target.subarray(2, 52)).toEqual(data.subarray(3000, 3050));
      expect(target.subarray(52, 102)).toEqual(data.subarray(7, 57));
      expect(target.subarray(102)).toEqual(Buffer.alloc(2, 0xff));
    }
    await expect(read('f/cb.dcm', [[4090, 16]], Buffer.alloc(16), 0)).rejects.toThrow('Stored object shorter than its index');
    await expect(read('../f/cb.dcm', [[0, 1]], Buffer.alloc(1), 0)).rejects.toThrow('Invalid storage key');
    await storage.delete('f/cb.dcm');
    await expect(read('f/cb.dcm', [[0, 4]], Buffer.alloc(4), 0)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses an invalid key every time it is asked, whatever it read before', async () => {
    await storage.put('e/ok.dcm', Buffer.alloc(8, 3));
    for (let i = 0; i < 2; i++) {
      expect(await storage.readRanges('e/ok.dcm', [[0, 2]])).toEqual(Buffer.alloc(2, 3));
      for (const key of ['../e/ok.dcm', '/e/ok.dcm', 'e/../ok.dcm', 'e/ok dcm']) expect(() => storage.readRangesInto(key, [[0, 2]], Buffer.alloc(2), 0)).toThrow('Invalid storage key');
    }
  });

  it('refuses a range past the end of the object', async () => {
    await storage.put('c/short.dcm', Buffer.alloc(16));
    await expect(storage.readRanges('c/short.dcm', [[8, 16]])).rejects.toThrow('Stored object shorter than its index');
  });

  it('stays correct past its open-file limit, with concurrent readers, and holds at most that many descriptors', async () => {
    const before = openFiles();
    const files = Array.from({ length: 300 }, (_, i) => ({ key: `d/${i}.dcm`, data: randomBytes(256) }));
    for (const f of files) await storage.put(f.key, f.data);
    const reads = files.flatMap((f) => [0, 128].map(async (at) => ({ f, at, bytes: await storage.readRanges(f.key, [[at, 128]]) })));
    for (const { f, at, bytes } of await Promise.all(reads)) expect(bytes.equals(f.data.subarray(at, at + 128))).toBe(true);
    // Evicted handles close once their last read is done (asynchronously: wait for it, bounded).
    const deadline = Date.now() + 5_000;
    while (openFiles() - before > 256 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(openFiles() - before).toBeLessThanOrEqual(256);
  });
});

describe('FileStorage reads on the event loop’s thread while its files answer from memory (ADR 0146)', () => {
  let root: string;
  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'emage-storage-now-'));
  });
  afterAll(() => fs.rm(root, { recursive: true, force: true }));

  it('reads at once a file it holds open, the same bytes as the thread pool; a file not open yet is left to the pool', async () => {
    const storage = new FileStorage(root);
    const data = randomBytes(200_000);
    await storage.put('now/a.dcm', data);
    const target = Buffer.alloc(1000, 0xff);
    expect(storage.readRangesIntoNow('now/a.dcm', [[5, 100]], target, 0), 'not open yet').toBe(false);
    expect(target.subarray(0, 100)).toEqual(Buffer.alloc(100, 0xff));
    await storage.readRangesInto('now/a.dcm', [[0, 10]], target, 0);
    expect(storage.readRangesIntoNow('now/a.dcm', [[150_000, 300], [7, 200]], target, 10)).toBe(true);
    expect(target.subarray(10, 310)).toEqual(data.subarray(150_000, 150_300));
    expect(target.subarray(310, 510)).toEqual(data.subarray(7, 207));
  });

  it('throws on a range past the end of the file, and keeps no descriptor for it once the key is deleted', async () => {
    const storage = new FileStorage(root);
    await storage.put('now/short.dcm', Buffer.alloc(64, 3));
    await storage.readRangesInto('now/short.dcm', [[0, 4]], Buffer.alloc(4), 0);
    expect(() => storage.readRangesIntoNow('now/short.dcm', [[60, 10]], Buffer.alloc(10), 0)).toThrow('Stored object shorter than its index');
    expect(() => storage.readRangesIntoNow('../etc/passwd', [[0, 10]], Buffer.alloc(10), 0)).toThrow('Invalid storage key');
    const before = openFiles();
    await storage.delete('now/short.dcm');
    await new Promise((r) => setTimeout(r, 20));
    expect(openFiles()).toBe(before - 1);
    expect(storage.readRangesIntoNow('now/short.dcm', [[0, 4]], Buffer.alloc(4), 0), 'deleted: nothing open to read').toBe(false);
  });

  it('sends reads back to the thread pool after two slow ones in a row, for the pause, then reads at once again', async () => {
    let now = 1_000_000;
    // Every read counts as slow (over -1 ms): the wiring, not the clock of this machine, is tested.
    const guard = new EventLoopReads(() => now, -1, 10_000);
    const storage = new FileStorage(root, { eventLoopReads: guard });
    const data = randomBytes(4096);
    await storage.put('now/slow.dcm', data);
    const target = Buffer.alloc(16);
    await storage.readRangesInto('now/slow.dcm', [[0, 16]], target, 0);
    expect(storage.readRangesIntoNow('now/slow.dcm', [[0, 16]], target, 0), 'one slow read: the core was lost').toBe(true);
    expect(storage.readRangesIntoNow('now/slow.dcm', [[0, 16]], target, 0), 'the second in a row').toBe(true);
    expect(storage.readRangesIntoNow('now/slow.dcm', [[0, 16]], target, 0), 'paused: the pool reads').toBe(false);
    now += 9_999;
    expect(guard.allowed()).toBe(false);
    now += 1;
    expect(storage.readRangesIntoNow('now/slow.dcm', [[16, 16]], target, 0)).toBe(true);
    expect(target).toEqual(data.subarray(16, 32));
  });

  it('pauses only on slow reads in a row: a fast one in between starts the count again', () => {
    let now = 0;
    const guard = new EventLoopReads(() => now, 2, 10_000);
    guard.took(5);
    guard.took(0.05);
    guard.took(5);
    expect(guard.allowed()).toBe(true);
    guard.took(3);
    expect(guard.allowed()).toBe(false);
    now = 10_000;
    expect(guard.allowed()).toBe(true);
  });
});
