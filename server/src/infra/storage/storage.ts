import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';

/** Where DICOM files live. Filesystem by default; the interface fits an S3-compatible store. */
export interface Storage {
  /** Atomic: readers never see a partial object. Overwrites an existing key. */
  put(key: string, data: Buffer): Promise<void>;
  /** A byte range [start, end] inclusive, or the whole object. */
  read(key: string, range?: { start: number; end: number }): Readable;
  /** Size in bytes, or undefined when the object does not exist. */
  size(key: string): Promise<number | undefined>;
  readAll(key: string): Promise<Buffer>;
  /** Several byte ranges of one object, in order (frames made of fragments). */
  readRanges(key: string, ranges: Array<[number, number]>): Promise<Buffer>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
}

const READ_CHUNK_BYTES = 1024 * 1024;

export class FileStorage implements Storage {
  constructor(private readonly root: string) {}

  private pathOf(key: string): string {
    if (!/^[A-Za-z0-9._/-]+$/.test(key) || key.includes('..')) throw new Error(`Invalid storage key`);
    return path.join(this.root, key);
  }

  async put(key: string, data: Buffer): Promise<void> {
    const target = this.pathOf(key);
    await fs.mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.${randomUUID()}.tmp`;
    const fh = await fs.open(tmp, 'wx');
    try {
      await fh.writeFile(data);
      // A sender is told "stored" once this returns: the bytes must survive a crash.
      await fh.datasync();
    } catch (error) {
      await fh.close();
      await fs.rm(tmp, { force: true });
      throw error;
    }
    await fh.close();
    await fs.rename(tmp, target);
  }

  read(key: string, range?: { start: number; end: number }): Readable {
    // Large chunks: whole-study retrieves are disk-to-socket copies, 64 kB reads cap their rate.
    return createReadStream(this.pathOf(key), { highWaterMark: READ_CHUNK_BYTES, ...(range ? { start: range.start, end: range.end } : {}) });
  }

  async size(key: string): Promise<number | undefined> {
    return fs.stat(this.pathOf(key)).then(
      (s) => s.size,
      () => undefined,
    );
  }

  async readAll(key: string): Promise<Buffer> {
    return fs.readFile(this.pathOf(key));
  }

  async readRanges(key: string, ranges: Array<[number, number]>): Promise<Buffer> {
    const fh = await fs.open(this.pathOf(key), 'r');
    try {
      const total = ranges.reduce((n, [, len]) => n + len, 0);
      const out = Buffer.allocUnsafe(total);
      let pos = 0;
      for (const [offset, length] of ranges) {
        const { bytesRead } = await fh.read(out, pos, length, offset);
        if (bytesRead !== length) throw new Error('Stored object shorter than its index');
        pos += length;
      }
      return out;
    } finally {
      await fh.close();
    }
  }

  async exists(key: string): Promise<boolean> {
    return fs.access(this.pathOf(key)).then(
      () => true,
      () => false,
    );
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.pathOf(key), { force: true });
  }
}
