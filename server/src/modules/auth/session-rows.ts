import type { AppDeps } from '../../app-deps.js';
import { READ_CACHE_TTL_MS, readCacheOf, type DicomwebReadCache } from '../dicomweb/read-cache.js';

/** A valid session's row as the session statement read it, with its times parsed. */
export interface SessionRow {
  row: Readonly<Record<string, unknown>>;
  lastSeenAt: Date;
  idleExpiresAt: Date;
  absoluteExpiresAt: Date;
}

interface Entry extends SessionRow {
  /** The read cache's generation when the row was read: a drop since makes it stale. */
  generation: number;
  /** Epoch ms after which it is not used. */
  until: number;
}

/** Rows kept; the oldest go first beyond it. */
const MAX_ROWS = 20_000;

/**
 * Session rows that GraphQL requests made of queries only may reuse for at most
 * READ_CACHE_TTL_MS (ADR 0142), under the DICOMweb read cache's freshness rules (ADR 0136): its
 * triggers' notifications, this process's narrowing writes and a LISTEN gap drop it (a row read
 * before a drop is never used after it), and nothing is kept or used while LISTEN is down. Only
 * valid sessions are kept; a row is used only while its session is within its idle and absolute
 * expiry (past them, the database says). A mutation never comes here: it reads the database.
 */
export class SessionRows {
  private readonly rows = new Map<string, Entry>();

  constructor(
    private readonly cache: Pick<DicomwebReadCache, 'usable' | 'mark'>,
    private readonly ttlMs = READ_CACHE_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The row of a token hash, if one may be used now. */
  get(tokenHash: string): SessionRow | undefined {
    const entry = this.rows.get(tokenHash);
    if (!entry) return undefined;
    const now = this.now();
    if (!this.cache.usable() || entry.generation !== this.cache.mark() || now >= entry.until || now >= entry.idleExpiresAt.getTime() || now >= entry.absoluteExpiresAt.getTime()) {
      this.rows.delete(tokenHash);
      return undefined;
    }
    return entry;
  }

  /** The mark to give `keep`: taken before the database is read. */
  mark(): number {
    return this.cache.mark();
  }

  /** Keeps a valid session's row read from the database, unless the cache was dropped since `mark`. */
  keep(mark: number, tokenHash: string, row: SessionRow): void {
    if (mark !== this.cache.mark() || !this.cache.usable()) return;
    this.rows.delete(tokenHash);
    this.rows.set(tokenHash, { ...row, generation: mark, until: this.now() + this.ttlMs });
    if (this.rows.size > MAX_ROWS) this.rows.delete(this.rows.keys().next().value!);
  }

  /** After this process wrote the session's touch: its row is read again next time. */
  forget(tokenHash: string): void {
    this.rows.delete(tokenHash);
  }
}

const byDeps = new WeakMap<AppDeps, SessionRows>();

/** The process's session rows for one app's dependencies. */
export function sessionRowsOf(deps: AppDeps): SessionRows {
  let rows = byDeps.get(deps);
  if (!rows) byDeps.set(deps, (rows = new SessionRows(readCacheOf(deps))));
  return rows;
}
