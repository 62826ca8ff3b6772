import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStorage } from './storage.js';

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
