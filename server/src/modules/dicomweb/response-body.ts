import type { Response } from 'express';
import type { Storage } from '../../infra/storage/storage.js';

/** A piece of a response body: bytes in memory, or a byte range of a stored object. */
export type Segment = Buffer | { key: string; offset: number; length: number };

export const segmentLength = (segment: Segment): number => segment.length;

/** Ranges of a stored object as segments, in order. */
export function storedSegments(key: string, ranges: ReadonlyArray<readonly [number, number]>): Segment[] {
  return ranges.map(([offset, length]) => ({ key, offset, length }));
}

/**
 * Bodies are assembled in reusable 1 MiB buffers: a frame with its multipart headers leaves in
 * one write from one buffer, and a study streams through two of them, one filling from disk
 * while the other is on the socket. No buffer is allocated per request once the pool is warm,
 * and memory stays flat whatever the size of the study.
 */
const SLOT_BYTES = 1024 * 1024;
/** Buffers kept for reuse (32 MiB): more than 16 viewers' connections use at once. */
const POOL_KEEP = 32;
const pool: Buffer[] = [];

function takeSlot(): Buffer {
  return pool.pop() ?? Buffer.allocUnsafeSlow(SLOT_BYTES);
}

function giveBack(slot: Buffer): void {
  if (pool.length < POOL_KEEP) pool.push(slot);
}

/**
 * The same pool for a body assembled whole before it is written (the frame fast path): a body
 * of at most POOLED_BODY_BYTES, headers and framing included, fits one buffer; it is given back
 * only once the socket is done with it.
 */
export const POOLED_BODY_BYTES = SLOT_BYTES;
export const takeBodyBuffer = takeSlot;
export const giveBackBodyBuffer = giveBack;

/** Reads of one body's buffer running at once (libuv has 4 threads by default). */
const MAX_READS_AT_ONCE = 8;

function closedEarly(): Error {
  return Object.assign(new Error('The client went away'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}

/**
 * Sends `segments` as the whole body with its Content-Length (status and Content-Type already
 * set). A buffer is given back to the pool only once the socket is done with it; a buffer a
 * broken connection might still hold is left to the garbage collector instead. Every byte sent
 * from a pooled buffer was written for this response: a short read throws before anything of
 * the buffer leaves.
 */
export async function sendBody(res: Response, storage: Storage, segments: readonly Segment[]): Promise<void> {
  res.setHeader('Content-Length', String(segments.reduce((n, s) => n + s.length, 0)));
  const slots: Buffer[] = [takeSlot()];
  const inFlight: Array<Promise<void> | undefined> = [undefined, undefined];
  let current = 0;
  let fill = 0;
  let closed: Promise<never> | undefined;

  const untilWritten = (chunk: Buffer): Promise<void> => {
    closed ??= new Promise<never>((_, reject) => res.once('close', () => reject(closedEarly())));
    closed.catch(() => undefined);
    const written = new Promise<void>((resolve, reject) => res.write(chunk, (error) => (error ? reject(error) : resolve())));
    return Promise.race([written, closed]);
  };

  // The current buffer's stored pieces are read together (their files' reads overlap on libuv's
  // threads instead of waiting for one another); each settles into `reads`, never rejects, so
  // that a failure is seen once all of them ended (none still writing into a pooled buffer).
  let reads: Array<Promise<void>> = [];
  let failure: { error: unknown } | undefined;
  const filled = async (): Promise<void> => {
    await Promise.all(reads);
    reads = [];
    if (failure) throw failure.error;
  };
  const read = (segment: { key: string; offset: number }, from: number, n: number, target: Buffer): Promise<void> => {
    let reading: Promise<void>;
    try {
      reading = storage.readRangesInto(segment.key, [[segment.offset + from, n]], target, 0);
    } catch (error) {
      reading = Promise.reject(error as Error);
    }
    return reading.catch((error: unknown) => {
      failure ??= { error };
    });
  };

  /** Room left in the current buffer; when it is full, it goes to the socket and the other one is filled. */
  const room = async (): Promise<Buffer> => {
    if (fill === SLOT_BYTES) {
      await filled();
      inFlight[current] = untilWritten(slots[current]!);
      current ^= 1;
      fill = 0;
      await inFlight[current];
      inFlight[current] = undefined;
      slots[current] ??= takeSlot();
    }
    return slots[current]!.subarray(fill);
  };

  try {
    for (const segment of segments) {
      for (let done = 0; done < segment.length; ) {
        const target = await room();
        const n = Math.min(target.length, segment.length - done);
        if (Buffer.isBuffer(segment)) segment.copy(target, 0, done, done + n);
        else {
          reads.push(read(segment, done, n, target));
          // Small objects: at most MAX_READS_AT_ONCE on the threads at a time.
          if (reads.length >= MAX_READS_AT_ONCE) await filled();
        }
        fill += n;
        done += n;
      }
    }
    await filled();
  } catch (error) {
    // Every read begun has ended (filled). Buffers still on the socket are not reused; the others go back.
    slots.forEach((slot, i) => inFlight[i] === undefined && giveBack(slot));
    throw error;
  }
  const last = slots[current]!.subarray(0, fill);
  await new Promise<void>((resolve, reject) => {
    res.once('close', () => (res.writableFinished ? resolve() : reject(closedEarly())));
    res.end(last, () => {
      slots.forEach(giveBack);
      resolve();
    });
  });
}
