import type { ServerResponse } from 'node:http';
import { readRangesIntoFastest, type Storage } from '../../infra/storage/storage.js';
import { newBoundary } from '../dicom/index.js';

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
export function sendBody(res: ServerResponse, storage: Storage, segments: readonly Segment[]): Promise<void> {
  res.setHeader('Content-Length', String(segments.reduce((n, s) => n + s.length, 0)));
  return new Promise((resolve, reject) => streamSegments(res, storage, segments, (error) => (error ? reject(error) : resolve())));
}

/**
 * The body through two pooled buffers, one filling (its stored pieces read together, at most
 * MAX_READS_AT_ONCE at a time) while the other is on the socket, driven by callbacks: a whole
 * study is ~100 reads and 35 writes, and a promise for each (with the ORM's async hooks on, ADR
 * 0145) cost the event loop's thread as much as the system calls. `done` is called once: after
 * the last byte was handed to the socket and it finished, or with the first error once no read
 * is still writing into a pooled buffer.
 */
function streamSegments(res: ServerResponse, storage: Storage, segments: readonly Segment[], done: (error: Error | null) => void): void {
  const slots: Array<Buffer | undefined> = [takeSlot(), undefined];
  /** Whether each buffer is on the socket (handed to write, its callback not yet called). */
  const writing = [false, false];
  let current = 0;
  let fill = 0;
  let segment = 0;
  /** Bytes of segments[segment] already laid out. */
  let within = 0;
  let pending = 0;
  let failure: Error | null = null;
  /** The current buffer waits for the other one's write to end before it is filled. */
  let waiting = false;
  /** Set while layOut runs: a read whose callback comes at once leaves what follows to it. */
  let laying = false;
  let settled = false;

  const settle = (error: Error | null): void => {
    if (settled) return;
    settled = true;
    res.off('close', onClose);
    if (error) {
      // Buffers still on the socket are not reused; the others go back.
      slots.forEach((slot, i) => slot && !writing[i] && giveBack(slot));
    }
    done(error);
  };
  const onClose = (): void => {
    // Closed before the end was written and finished: the client went away.
    if (!res.writableFinished) fail(closedEarly());
  };
  const fail = (error: Error): void => {
    failure ??= error;
    if (pending === 0 && !laying) settle(failure);
  };
  res.once('close', onClose);

  const afterRead = (error: Error | null | undefined): void => {
    pending--;
    if (error) failure ??= error;
    if (!laying && pending === 0) next();
  };
  /** What follows once no read is pending: the failure, the buffer sent, or more laid out. */
  const next = (): void => {
    if (failure) settle(failure);
    else if (fill === SLOT_BYTES || segment === segments.length) ready();
    else layOut();
  };
  const read = (key: string, offset: number, n: number, target: Buffer, at: number): void => {
    pending++;
    let readAtOnce: boolean;
    try {
      readAtOnce = readRangesIntoFastest(storage, key, [[offset, n]], target, at, afterRead);
    } catch (error) {
      readAtOnce = true;
      failure ??= error as Error;
    }
    if (readAtOnce) pending--;
  };

  /** Lays the next segments out in the current buffer, reading stored pieces into it. */
  const layOut = (): void => {
    if (settled) return;
    const slot = slots[current]!;
    laying = true;
    // Small objects: at most MAX_READS_AT_ONCE on the threads at a time (the last one's callback resumes).
    while (failure === null && segment < segments.length && fill < SLOT_BYTES && pending < MAX_READS_AT_ONCE) {
      const s = segments[segment]!;
      const n = Math.min(SLOT_BYTES - fill, s.length - within);
      if (Buffer.isBuffer(s)) s.copy(slot, fill, within, within + n);
      else read(s.key, s.offset + within, n, slot, fill);
      fill += n;
      within += n;
      if (within === s.length) {
        segment++;
        within = 0;
      }
    }
    laying = false;
    if (pending === 0) next();
  };

  /** The current buffer is filled: the last one ends the body, any other goes to the socket. */
  const ready = (): void => {
    if (settled) return;
    if (failure) {
      settle(failure);
      return;
    }
    const slot = slots[current]!;
    if (segment === segments.length) {
      writing[current] = true;
      res.end(slot.subarray(0, fill), () => {
        slots.forEach((b) => b && giveBack(b));
        settle(null);
      });
      return;
    }
    const k = current;
    writing[k] = true;
    res.write(slot, (error) => {
      writing[k] = false;
      if (error) {
        fail(error);
        return;
      }
      if (waiting && current === k) {
        waiting = false;
        layOut();
      }
    });
    current ^= 1;
    fill = 0;
    slots[current] ??= takeSlot();
    if (writing[current]) waiting = true;
    else layOut();
  };

  layOut();
}

/**
 * A multipart/related body with its Content-Length (status 200): the framing is computed once,
 * the bodies read straight into the response. Express's routes and the retrieve fast path alike.
 */
export async function sendMultipart(res: ServerResponse, storage: Storage, parts: ReadonlyArray<{ contentType: string; body: Segment[] }>, rootType: string): Promise<void> {
  const boundary = newBoundary();
  const segments: Segment[] = [];
  parts.forEach((part, i) => {
    segments.push(Buffer.from(`${i === 0 ? '' : '\r\n'}--${boundary}\r\nContent-Type: ${part.contentType}\r\n\r\n`, 'latin1'), ...part.body);
  });
  segments.push(Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1'));
  res.statusCode = 200;
  res.setHeader('Content-Type', `multipart/related; type="${rootType}"; boundary=${boundary}`);
  await sendBody(res, storage, segments);
}
