import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Response } from 'express';
import { describe, expect, it } from 'vitest';
import type { Storage } from '../../infra/storage/storage.js';
import { sendBody, type Segment } from './response-body.js';

/** A response that keeps a copy of what was written (pooled buffers are reused once written). */
function sink(): { res: Response; body: () => Buffer } {
  const chunks: Buffer[] = [];
  const writable = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      setImmediate(callback);
    },
  });
  const res = Object.assign(writable, { setHeader: () => writable }) as unknown as Response;
  return { res, body: () => Buffer.concat(chunks) };
}

/** Stored objects in memory, each read answering after `delayMs`; reads in flight counted. */
function store(objects: Map<string, Buffer>, delayMs: () => number, failing?: string): { storage: Storage; running: () => number; most: () => number } {
  let running = 0;
  let most = 0;
  const storage = {
    readRangesInto(key: string, ranges: Array<[number, number]>, target: Buffer, at: number): Promise<void> {
      running++;
      most = Math.max(most, running);
      return new Promise<void>((resolve, reject) =>
        setTimeout(() => {
          running--;
          if (key === failing) return reject(new Error('Stored object shorter than its index'));
          let pos = at;
          for (const [offset, length] of ranges) pos += objects.get(key)!.copy(target, pos, offset, offset + length);
          resolve();
        }, delayMs()),
      );
    },
  } as unknown as Storage;
  return { storage, running: () => running, most: () => most };
}

describe('sendBody', () => {
  const objects = new Map<string, Buffer>(Array.from({ length: 40 }, (_, i) => [`k${i}`, randomBytes(100_000 + i * 7_919)]));
  const segments: Segment[] = [];
  for (const [key, data] of objects) segments.push(Buffer.from(`--part ${key}\r\n`), { key, offset: 0, length: data.length });
  segments.push(Buffer.from('--end'));
  const expected = Buffer.concat(segments.map((s) => (Buffer.isBuffer(s) ? s : objects.get(s.key)!)));

  it('sends every segment in order across its buffers, reading a buffer’s stored pieces at once', async () => {
    const { res, body } = sink();
    const { storage, most } = store(objects, () => 1 + Math.floor(Math.random() * 4));
    await sendBody(res, storage, segments);
    expect(body().equals(expected)).toBe(true);
    expect(most(), 'reads of one buffer run together').toBeGreaterThan(1);
  });

  it('fails when a read fails, after every read begun has ended, and sends nothing of that buffer', async () => {
    const { res, body } = sink();
    const { storage, running } = store(objects, () => 1 + Math.floor(Math.random() * 4), 'k25');
    await expect(sendBody(res, storage, segments)).rejects.toThrow('Stored object shorter than its index');
    expect(running(), 'no read still writing into a pooled buffer').toBe(0);
    const sent = body();
    // Only whole buffers written before the failing one left, and each holds what it should.
    expect(sent.length % (1024 * 1024)).toBe(0);
    expect(sent.equals(expected.subarray(0, sent.length))).toBe(true);
    const failingAt = expected.indexOf(Buffer.from('--part k25\r\n')) + '--part k25\r\n'.length;
    expect(sent.length).toBeLessThanOrEqual(failingAt);
  });

  it('fails at once on a read refused as it is asked (an invalid key), and reads nothing after it', async () => {
    const { res, body } = sink();
    let asked = 0;
    const storage = {
      readRangesInto: () => Promise.reject(new Error('not used')),
      readRangesIntoCallback(key: string, ranges: Array<[number, number]>, target: Buffer, at: number, done: (error: Error | null) => void): void {
        asked++;
        if (key === 'k3') {
          done(new Error('Invalid storage key'));
          return;
        }
        setImmediate(() => {
          objects.get(key)!.copy(target, at, ranges[0]![0], ranges[0]![0] + ranges[0]![1]);
          done(null);
        });
      },
    } as unknown as Storage;
    await expect(sendBody(res, storage, segments)).rejects.toThrow('Invalid storage key');
    const sent = body();
    expect(sent.equals(expected.subarray(0, sent.length))).toBe(true);
    // k0 to k3 (k2 crosses into the second buffer, asked in two pieces): nothing past the refusal.
    expect(asked).toBeLessThanOrEqual(5);
  });

  it('rejects with ERR_STREAM_PREMATURE_CLOSE when the client goes away mid-body, once its reads ended', async () => {
    let written = 0;
    const writable = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        written += chunk.length;
        if (written > 2 * 1024 * 1024) {
          callback();
          writable.destroy();
          return;
        }
        setImmediate(callback);
      },
    });
    const res = Object.assign(writable, { setHeader: () => writable }) as unknown as Response;
    const { storage, running } = store(objects, () => 1 + Math.floor(Math.random() * 4));
    await expect(sendBody(res, storage, segments)).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
    expect(running(), 'no read still writing into a pooled buffer').toBe(0);
  });

  it('mixes reads made at once with reads on the pool, in order; one failing at once fails the body once the others ended', async () => {
    /** Even keys are read at once (the store holds them open), odd ones through the pool; k25 fails at once when `failing`. */
    const mixed = (failing: boolean) => {
      const pool = store(objects, () => 1 + Math.floor(Math.random() * 4));
      const storage = Object.assign(pool.storage, {
        readRangesIntoNow(key: string, ranges: Array<[number, number]>, target: Buffer, at: number): boolean {
          const n = Number(key.slice(1));
          if (failing && key === 'k25') throw new Error('Stored object shorter than its index');
          if (n % 2 === 1) return false;
          let pos = at;
          for (const [offset, length] of ranges) pos += objects.get(key)!.copy(target, pos, offset, offset + length);
          return true;
        },
      });
      return { storage, running: pool.running };
    };
    const whole = sink();
    await sendBody(whole.res, mixed(false).storage, segments);
    expect(whole.body().equals(expected)).toBe(true);

    const cut = sink();
    const { storage, running } = mixed(true);
    await expect(sendBody(cut.res, storage, segments)).rejects.toThrow('Stored object shorter than its index');
    expect(running(), 'no read still writing into a pooled buffer').toBe(0);
    const sent = cut.body();
    expect(sent.equals(expected.subarray(0, sent.length))).toBe(true);
    expect(sent.length).toBeLessThanOrEqual(expected.indexOf(Buffer.from('--part k25\r\n')) + '--part k25\r\n'.length);
  });
});
