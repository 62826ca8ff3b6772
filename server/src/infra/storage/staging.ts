import { createHash, randomUUID, type Hash } from 'node:crypto';
import { closeSync, fdatasync, mkdir, mkdirSync, open, openSync, readFileSync, writev } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * A local file an object streams into before it is stored (renamed into place, or uploaded), so
 * an instance of any size passes through the process a chunk at a time. Its SHA-256 and size are
 * computed as it is written.
 */
export interface StagedFile {
  readonly path: string;
  readonly size: number;
  write(chunk: Buffer): Promise<void>;
  /** Flushed to disk (a sender is told "stored" once it is in place) and closed; its hex SHA-256. */
  finish(): Promise<string>;
  /** Removed, whatever state it is in; never throws. */
  discard(): Promise<void>;
}

/** Staged files not touched for this long belong to no live upload (any replica's, any host's). */
export const STALE_STAGED_FILE_MS = 60 * 60 * 1000;
/** How often a running server looks for stale staged files (it also does at start-up). */
export const STAGING_SWEEP_MS = 10 * 60 * 1000;

/** At start-up and every STAGING_SWEEP_MS: what crashed uploads left is removed, and said. */
export async function sweepStagedFiles(
  storage: { sweepStaging(): Promise<number> },
  logger: { info(o: object, msg: string): void; warn(o: object, msg: string): void },
): Promise<void> {
  try {
    const removed = await storage.sweepStaging();
    if (removed > 0) logger.info({ removed }, 'Staged files of interrupted uploads removed');
  } catch (error) {
    logger.warn({ err: { name: (error as Error).name, code: (error as NodeJS.ErrnoException).code } }, 'Staged files could not be swept');
  }
}

/**
 * The directory of staged files. A file's name says which process wrote it (host, boot, pid), so
 * at start-up a process removes what its crashed predecessors on the same host left at once,
 * while a file of another host sharing the storage is only removed once stale
 * (docs/adr/0100-stow-memory-and-staged-files.md).
 */
export class StagingArea {
  private readonly active = new Set<string>();
  private readonly owner = `${sanitise(os.hostname())}~${bootId()}`;

  constructor(readonly dir: string) {}

  async create(): Promise<StagedFile> {
    const name = `${this.owner}~${process.pid}~${randomUUID()}.tmp`;
    const file = path.join(this.dir, name);
    // Opened (and closed) on the event loop's thread: creating an empty file is a few
    // microseconds of metadata, while a trip through libuv's four threads waits behind the
    // writes and flushes of the parts before it (docs/adr/0138-stow-batches.md).
    // The directory exists but for the first file (or after someone removed it): one system call, not two.
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      mkdirSync(this.dir, { recursive: true });
      fd = openSync(file, 'wx');
    }
    this.active.add(name);
    return new LocalStagedFile(file, fd, () => this.active.delete(name));
  }

  /**
   * The same, the file created on libuv's threads: for a file wanted a moment later (STOW opens
   * the next part's file while a part arrives). Creating a file allocates an inode, 0.2-0.3 ms
   * of the event loop's thread on a file system where many files were just deleted (ext4 skips
   * recently freed inodes one by one): 12 % of STOW's main thread (docs/adr/0138-stow-batches.md).
   */
  createInBackground(): Promise<StagedFile> {
    const name = `${this.owner}~${process.pid}~${randomUUID()}.tmp`;
    const file = path.join(this.dir, name);
    // Active before it exists: a sweep meanwhile must not take it for a predecessor's.
    this.active.add(name);
    return new Promise<StagedFile>((resolve, reject) => {
      const opened = (error: NodeJS.ErrnoException | null, fd: number): void => {
        if (error) {
          this.active.delete(name);
          reject(error);
        } else resolve(new LocalStagedFile(file, fd, () => this.active.delete(name)));
      };
      open(file, 'wx', (error, fd) => {
        if (error?.code !== 'ENOENT') return opened(error, fd);
        mkdir(this.dir, { recursive: true }, (failed) => (failed ? opened(failed, -1) : open(file, 'wx', opened)));
      });
    });
  }

  /**
   * Removes staged files that no live upload will finish: this host's whose process is gone (or
   * is this one, before it began an upload: a predecessor with the same pid), and anyone's
   * untouched for `staleMs`. Returns how many were removed.
   */
  async sweep(staleMs = STALE_STAGED_FILE_MS): Promise<number> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch {
      return 0;
    }
    let removed = 0;
    const now = Date.now();
    for (const name of names) {
      if (!name.endsWith('.tmp') || this.active.has(name)) continue;
      const file = path.join(this.dir, name);
      const [host, boot, pid] = name.split('~');
      const ours = `${host}~${boot}` === this.owner;
      let dead = ours && (Number(pid) === process.pid || !processAlive(Number(pid)));
      if (!dead) {
        const stat = await fs.stat(file).catch(() => undefined);
        dead = stat !== undefined && now - stat.mtimeMs > staleMs;
      }
      if (dead && (await fs.rm(file, { force: true }).then(() => true, () => false))) removed++;
    }
    return removed;
  }
}

/**
 * What a staged file gathers before one writev: the socket hands over 16 to 64 kB at a time,
 * and each write is a trip through libuv's thread pool.
 */
const WRITE_BATCH_BYTES = 1024 * 1024;

/**
 * At most this many `fdatasync` at once in the process. Each holds one of libuv's four threads
 * for the disk's time; more would queue the writes of the parts still being received (and the
 * frame reads of viewers) behind flushes. Fewer serialise a batch's flushes, which the file
 * system commits together when they come at once (docs/adr/0138-stow-batches.md).
 */
const CONCURRENT_FLUSHES = 3;

/** A counting semaphore: `run` starts its task once fewer than `limit` are running, in order. */
class Limiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      // The slot passes to the next task as is; otherwise it is freed.
      if (next) next();
      else this.running--;
    }
  }
}

const flushes = new Limiter(CONCURRENT_FLUSHES);

class LocalStagedFile implements StagedFile {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;
  private closed = false;
  private stored = false;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The write or flush under way: the descriptor is closed only once it is over. */
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly fd: number,
    private readonly release: () => void,
  ) {}

  get size(): number {
    return this.bytes;
  }

  /** The chunk may be kept until the next write (the caller must not reuse it): bytes are written a megabyte at a time. */
  async write(chunk: Buffer): Promise<void> {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= WRITE_BATCH_BYTES) await this.flush();
  }

  async finish(): Promise<string> {
    await this.flush();
    await this.track(flushes.run(() => new Promise<void>((resolve, reject) => fdatasync(this.fd, (error) => (error ? reject(error) : resolve())))));
    this.close();
    return this.hash.digest('hex');
  }

  async discard(): Promise<void> {
    this.pending = [];
    await this.inFlight.catch(() => undefined);
    try {
      this.close();
    } catch {
      // already unusable: removed below all the same
    }
    if (!this.stored) await fs.rm(this.path, { force: true }).catch(() => undefined);
    this.release();
  }

  /** Once stored: the file is gone (renamed or uploaded), the name free. */
  done(): void {
    this.stored = true;
    this.release();
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    let chunks = this.pending;
    let left = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    // One writev for the gathered chunks, without copying them; a short write goes on from where it stopped.
    while (left > 0) {
      const bytesWritten = await this.track(new Promise<number>((resolve, reject) => writev(this.fd, chunks, (error, written) => (error ? reject(error) : resolve(written)))));
      left -= bytesWritten;
      let skip = bytesWritten;
      while (skip > 0 && chunks.length > 0 && chunks[0]!.length <= skip) skip -= chunks.shift()!.length;
      if (skip > 0) chunks = [chunks[0]!.subarray(skip), ...chunks.slice(1)];
    }
  }

  private track<T>(operation: Promise<T>): Promise<T> {
    this.inFlight = operation;
    return operation;
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/** Marks a staged file as stored (renamed or removed by the store), so sweeps forget it. */
export function stagedFileStored(file: StagedFile): void {
  if (file instanceof LocalStagedFile) file.done();
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, owned by someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function bootId(): string {
  try {
    return sanitise(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
  } catch {
    // No boot id (not Linux): nothing is judged by pid, only by age.
    return `noboot-${randomUUID()}`;
  }
}

const sanitise = (s: string): string => s.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 64) || 'host';
