import { read as fsRead, readSync, renameSync } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { StagingArea, stagedFileStored, type StagedFile } from './staging.js';

export type { StagedFile } from './staging.js';

export interface StageOptions {
  background?: boolean;
}

/** Where DICOM files live: the filesystem by default, an S3-compatible store (s3-storage.ts) in production. */
export interface Storage {
  /**
   * Atomic: readers never see a partial object. Overwrites an existing key. `sha256`, the data's
   * hex SHA-256 when the caller has computed it already, spares hashing it again where the store
   * checks it (S3 signs it).
   */
  put(key: string, data: Buffer, sha256?: string): Promise<void>;
  /**
   * A local file to stream an object into, then `putStaged` (or its own `discard`). `background`:
   * created on libuv's threads, for a file wanted a moment later, instead of on the event loop's.
   */
  stage(options?: StageOptions): Promise<StagedFile>;
  /**
   * Stores a finished staged file under `key`, atomically as `put` does, and removes it (also
   * on failure). `sha256` is what its `finish()` returned.
   */
  putStaged(key: string, file: StagedFile, sha256: string): Promise<void>;
  /** Removes staged files no live upload will finish (crashed processes'); how many. */
  sweepStaging(): Promise<number>;
  /** Size in bytes, or undefined when the object does not exist. */
  size(key: string): Promise<number | undefined>;
  readAll(key: string): Promise<Buffer>;
  /** Several byte ranges (offset, length) of one object, in order (frames made of fragments). */
  readRanges(key: string, ranges: Array<[number, number]>): Promise<Buffer>;
  /**
   * The same, read into `target` from `at` on: the caller owns the buffer (a pooled one, or the
   * response body with its multipart headers around), so no buffer is allocated per read.
   */
  readRangesInto(key: string, ranges: Array<[number, number]>, target: Buffer, at: number): Promise<void>;
  /**
   * The same with a callback, where a store offers it (the filesystem's): the frame fast path
   * reads without a promise, each of which costs the process's async hooks (MikroORM's
   * AsyncLocalStorage) an init and a settle. `done` may be called before this returns.
   */
  readRangesIntoCallback?(key: string, ranges: Array<[number, number]>, target: Buffer, at: number, done: (error: Error | null) => void): void;
  /**
   * The same at once, on the event loop's thread, where a store can (the filesystem's, while its
   * files answer from memory: ADR 0146): true once the ranges are in `target`, false when the
   * caller is to read the other way (nothing read then). Throws what a read throws.
   */
  readRangesIntoNow?(key: string, ranges: Array<[number, number]>, target: Buffer, at: number): boolean;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
}

/**
 * `ranges` of `key` read into `target` from `at` the cheapest way the store offers: at once
 * (`readRangesIntoNow`, ADR 0146), else its callback form, else its promise. True when read at
 * once (`done` is not called then, and a failure at once throws); false when `done` is called,
 * possibly before this returns.
 */
export function readRangesIntoFastest(storage: Storage, key: string, ranges: Array<[number, number]>, target: Buffer, at: number, done: (error: Error | null) => void): boolean {
  if (storage.readRangesIntoNow?.(key, ranges, target, at)) return true;
  try {
    if (storage.readRangesIntoCallback) storage.readRangesIntoCallback(key, ranges, target, at, done);
    else storage.readRangesInto(key, ranges, target, at).then(() => done(null), done);
  } catch (error) {
    done(error as Error);
  }
  return false;
}

/** `readRanges` for any store: one buffer of the ranges' total length, filled by its `readRangesInto`. */
export async function readRangesIntoNew(storage: Pick<Storage, 'readRangesInto'>, key: string, ranges: Array<[number, number]>): Promise<Buffer> {
  const out = Buffer.allocUnsafe(ranges.reduce((n, [, len]) => n + len, 0));
  await storage.readRangesInto(key, ranges, out, 0);
  return out;
}

/** Keys are made by the server (stow.service.ts); anything else is refused before it reaches a path or a URL. */
export function checkStorageKey(key: string): string {
  if (!/^[A-Za-z0-9._/-]+$/.test(key) || key.includes('..') || key.startsWith('/')) throw new Error(`Invalid storage key`);
  return key;
}

/** Checked keys whose path FileStorage remembers. */
const MAX_REMEMBERED_PATHS = 4096;

export class FileStorage implements Storage {
  private readonly handles = new FileHandleCache();
  private readonly onLoop: EventLoopReads;
  /** Inside the root: a rename from there into place is atomic (one filesystem). */
  private readonly staging: StagingArea;

  constructor(
    private readonly root: string,
    options: { eventLoopReads?: EventLoopReads } = {},
  ) {
    this.staging = new StagingArea(path.join(root, '.staging'));
    this.onLoop = options.eventLoopReads ?? new EventLoopReads();
  }

  /**
   * Keys already checked and joined, for the frame reads that ask for the same few files over
   * and over: a key's path is a function of the key (the check and the join are pure), so a
   * remembered one is the one they would give again. Emptied whole when full.
   */
  private readonly paths = new Map<string, string>();

  private pathOf(key: string): string {
    let file = this.paths.get(key);
    if (file === undefined) {
      file = path.join(this.root, checkStorageKey(key));
      if (this.paths.size >= MAX_REMEMBERED_PATHS) this.paths.clear();
      this.paths.set(key, file);
    }
    return file;
  }

  async put(key: string, data: Buffer): Promise<void> {
    const file = await this.staging.create();
    try {
      await file.write(data);
      await file.finish();
    } catch (error) {
      await file.discard();
      throw error;
    }
    await this.putStaged(key, file);
  }

  stage(options?: StageOptions): Promise<StagedFile> {
    return options?.background ? this.staging.createInBackground() : this.staging.create();
  }

  async putStaged(key: string, file: StagedFile): Promise<void> {
    try {
      const target = this.pathOf(key);
      // The staged file was flushed by finish(): a sender is told "stored" once this returns.
      // The series' directory exists for all its instances but the first: one system call, made
      // on the event loop's thread (a rename within a directory tree is metadata only; through
      // libuv's threads it would wait behind the flushes of other instances: ADR 0138).
      // A missing directory is made on libuv's threads: creating one allocates an inode, which
      // took 1.6 ms (up to 48) of the event loop's thread while flushes ran (ADR 0138, 2026-12-06).
      try {
        renameSync(file.path, target);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        await fs.mkdir(path.dirname(target), { recursive: true });
        renameSync(file.path, target);
      }
      stagedFileStored(file);
      this.handles.forget(target);
    } catch (error) {
      await file.discard();
      throw error;
    }
  }

  sweepStaging(): Promise<number> {
    return this.staging.sweep();
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

  readRanges(key: string, ranges: Array<[number, number]>): Promise<Buffer> {
    return readRangesIntoNew(this, key, ranges);
  }

  readRangesInto(key: string, ranges: Array<[number, number]>, target: Buffer, at: number): Promise<void> {
    const file = this.pathOf(key);
    const open = this.handles.acquireOpen(file);
    return open ? new Promise((resolve, reject) => readWithLease(this.handles, open, ranges, target, at, (error) => (error ? reject(error) : resolve()))) : this.readRangesIntoOpening(file, ranges, target, at);
  }

  readRangesIntoCallback(key: string, ranges: Array<[number, number]>, target: Buffer, at: number, done: (error: Error | null) => void): void {
    let file: string;
    try {
      file = this.pathOf(key);
    } catch (error) {
      done(error as Error);
      return;
    }
    const open = this.handles.acquireOpen(file);
    if (open) readWithLease(this.handles, open, ranges, target, at, done);
    else this.readRangesIntoOpening(file, ranges, target, at).then(() => done(null), done);
  }

  /**
   * A file already open is read with `readSync` while reads on the event loop's thread are
   * allowed (EventLoopReads): a read of the page cache is a copy of tens of microseconds, less
   * than handing it to libuv's threads and back (ADR 0146). A file not open yet is left to the
   * thread pool, which opens it and keeps its handle.
   */
  readRangesIntoNow(key: string, ranges: Array<[number, number]>, target: Buffer, at: number): boolean {
    if (!this.onLoop.allowed()) return false;
    const lease = this.handles.acquireOpen(this.pathOf(key));
    if (!lease) return false;
    const start = performance.now();
    try {
      let pos = at;
      for (const [offset, length] of ranges) {
        if (readSync(lease.handle.fd, target, pos, length, offset) !== length) throw new Error('Stored object shorter than its index');
        pos += length;
      }
    } finally {
      this.handles.release(lease);
      this.onLoop.took(performance.now() - start);
    }
    return true;
  }

  private async readRangesIntoOpening(file: string, ranges: Array<[number, number]>, target: Buffer, at: number): Promise<void> {
    const lease = await this.handles.acquire(file);
    try {
      let pos = at;
      for (const [offset, length] of ranges) {
        const { bytesRead } = await lease.handle.read(target, pos, length, offset);
        if (bytesRead !== length) throw new Error('Stored object shorter than its index');
        pos += length;
      }
    } finally {
      this.handles.release(lease);
    }
  }

  async exists(key: string): Promise<boolean> {
    return fs.access(this.pathOf(key)).then(
      () => true,
      () => false,
    );
  }

  async delete(key: string): Promise<void> {
    const target = this.pathOf(key);
    this.handles.forget(target);
    await fs.rm(target, { force: true });
  }
}

/**
 * The ranges read on a handle already open, one callback read each: a viewer's frame is one
 * range, and the promise API's machinery per read cost more than the read of a cached page.
 * The lease is released once every read is done, whatever their outcome.
 */
function readWithLease(handles: FileHandleCache, lease: Lease, ranges: Array<[number, number]>, target: Buffer, at: number, done: (error: Error | null) => void): void {
  let pos = at;
  let i = 0;
  const next = (): void => {
    const range = ranges[i++];
    if (!range) {
      handles.release(lease);
      done(null);
      return;
    }
    const [offset, length] = range;
    const into = pos;
    pos += length;
    fsRead(lease.handle.fd, target, into, length, offset, (error, bytesRead) => {
      if (error || bytesRead !== length) {
        handles.release(lease);
        done(error ?? new Error('Stored object shorter than its index'));
        return;
      }
      next();
    });
  };
  next();
}

interface Lease {
  handle: FileHandle;
  users: number;
  lastUsed: number;
  /** Out of the cache: closed once its last reader is done. */
  retired: boolean;
}

/** Open handles kept: enough for the series a viewer scrolls through; each is one descriptor. */
const MAX_OPEN_FILES = 256;
/** A handle unused this long is closed, so an idle server holds no descriptors. */
const IDLE_CLOSE_MS = 15_000;

/**
 * Open file handles by path, least recently used closed first: a viewer asks for the frames of
 * the same files over and over, and an open + close per frame costs more than the read itself.
 * Stored files never change once written (every key is new), so a cached handle never serves
 * stale bytes; put/delete of a key still drop its handle.
 */
class FileHandleCache {
  private readonly leases = new Map<string, Promise<Lease>>();
  /** The same leases once open (and while cached): taken without awaiting their promise. */
  private readonly open = new Map<string, Lease>();
  private sweeper: NodeJS.Timeout | undefined;

  /** The lease of an open, cached handle, taken at once; undefined when it must be opened (acquire). */
  acquireOpen(file: string): Lease | undefined {
    const lease = this.open.get(file);
    if (!lease || lease.retired) return undefined;
    const pending = this.leases.get(file);
    if (!pending) return undefined;
    // Most recently used last, as acquire does.
    this.leases.delete(file);
    this.leases.set(file, pending);
    lease.users++;
    lease.lastUsed = Date.now();
    return lease;
  }

  async acquire(file: string): Promise<Lease> {
    let pending = this.leases.get(file);
    if (pending) {
      // Most recently used last: a Map iterates in insertion order.
      this.leases.delete(file);
      this.leases.set(file, pending);
    } else {
      pending = fs.open(file, 'r').then((handle) => {
        const lease: Lease = { handle, users: 0, lastUsed: Date.now(), retired: false };
        // Known open only while this promise is still the cached one.
        if (this.leases.get(file) === pending) this.open.set(file, lease);
        return lease;
      });
      this.leases.set(file, pending);
      pending.catch(() => {
        if (this.leases.get(file) === pending) this.leases.delete(file);
      });
      this.evictBeyond(MAX_OPEN_FILES);
      this.sweepLater();
    }
    const lease = await pending;
    lease.users++;
    lease.lastUsed = Date.now();
    return lease;
  }

  release(lease: Lease): void {
    lease.users--;
    if (lease.retired && lease.users === 0) void lease.handle.close().catch(() => undefined);
  }

  forget(file: string): void {
    const pending = this.leases.get(file);
    if (!pending) return;
    this.leases.delete(file);
    this.open.delete(file);
    this.retire(pending);
  }

  private retire(pending: Promise<Lease>): void {
    pending.then((lease) => {
      lease.retired = true;
      if (lease.users === 0) void lease.handle.close().catch(() => undefined);
    }, () => undefined);
  }

  private evictBeyond(max: number): void {
    for (const [file, pending] of this.leases) {
      if (this.leases.size <= max) return;
      this.leases.delete(file);
      this.open.delete(file);
      this.retire(pending);
    }
  }

  private sweepLater(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => {
      const now = Date.now();
      for (const [file, pending] of this.leases) {
        void pending.then((lease) => {
          if (lease.users === 0 && now - lease.lastUsed >= IDLE_CLOSE_MS && this.leases.get(file) === pending) this.forget(file);
        }, () => undefined);
      }
      if (this.leases.size === 0) {
        clearInterval(this.sweeper);
        this.sweeper = undefined;
      }
    }, IDLE_CLOSE_MS / 3);
    // Open handles never keep the process alive.
    this.sweeper.unref();
  }
}

/** A read on the event loop's thread that took longer than this waited on a disk, not on memory. */
export const EVENT_LOOP_READ_MAX_MS = 2;
/** After two such reads in a row, reads go back to libuv's threads for this long. */
export const EVENT_LOOP_READ_PAUSE_MS = 10_000;

/**
 * Whether stored files may be read on the event loop's thread (ADR 0146). They may while reads
 * take what a copy from the page cache takes (tens of microseconds for a 512 kB slice here).
 * Two reads in a row slower than EVENT_LOOP_READ_MAX_MS (the files come from a disk, or a slow
 * network store) send every read back to the thread pool for EVENT_LOOP_READ_PAUSE_MS: a cold or
 * slow store stalls this process's other requests for two reads at most, then not at all. One
 * slow read alone is the thread losing its core on a busy machine, which the next read shows.
 */
export class EventLoopReads {
  private pausedUntil = 0;
  private slowInARow = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxMs = EVENT_LOOP_READ_MAX_MS,
    private readonly pauseMs = EVENT_LOOP_READ_PAUSE_MS,
  ) {}

  allowed(): boolean {
    return this.pausedUntil === 0 || this.now() >= this.pausedUntil;
  }

  /** A read on the event loop's thread took `ms`. */
  took(ms: number): void {
    if (ms <= this.maxMs) {
      this.slowInARow = 0;
      return;
    }
    if (++this.slowInARow >= 2) {
      this.slowInARow = 0;
      this.pausedUntil = this.now() + this.pauseMs;
    }
  }
}
