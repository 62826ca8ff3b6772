import type { AppDeps } from '../../app-deps.js';
import type { Role } from '../auth/user.entity.js';

/**
 * What the frame route decided a moment ago, kept for at most READ_CACHE_TTL_MS (ADR 0136): a
 * session cookie's session, that a physician may read a study, and where an instance's frames
 * lie in its stored file. A viewer asks for hundreds of frames a second; each would otherwise be
 * a round trip to PostgreSQL that answers what it answered a millisecond before.
 *
 * Freshness: every change that could narrow what these entries allow (a session revoked or
 * shortened, a user disabled or given another role, an exam unpublished or its access removed, a
 * document or an index row changed or deleted) fires a trigger that notifies every replica
 * (Migration20261205230000_DicomwebReadCache) and each drops its whole cache on receipt. Writes
 * this process makes to those tables drop it at once and keep it unused for the TTL, so that the
 * next request after a logout or an administrator's change here never meets an entry older than
 * that change. Only positive decisions are kept: what was refused is asked again.
 *
 * It is used only while the LISTEN connection is up; whenever it is down (or came back after a
 * gap in which notifications may have been lost) the cache is emptied and every request goes to
 * the database. Entries also die READ_CACHE_TTL_MS after they were read from the database,
 * whatever happens to notifications (an instance's frame index, which grants nothing by itself,
 * INDEX_CACHE_TTL_MS), and a session's entry dies at its idle or absolute expiry.
 */

/** How long an entry may be used after it was read from the database: the bound on a lost notification. */
export const READ_CACHE_TTL_MS = 1_000;
/**
 * How long an instance's frame index may be used: an index row never changes once written (STOW
 * keeps the first copy), it grants nothing by itself (every hit also needs the session's and the
 * read decision's entries, 1 s at most), and a deleted or moved instance notifies like the rest.
 * Longer than the decisions, so that a viewer's series is not read again from the database every
 * second.
 */
export const INDEX_CACHE_TTL_MS = 10_000;
/** The pubsub topic the triggers notify on (one envelope, no payload: everything is dropped). */
export const READ_CACHE_TOPIC = 'dicomweb-read-cache';
/** Entries kept per kind; the oldest go first beyond it. */
const MAX_ENTRIES = 20_000;

export interface CachedSession {
  sessionId: string;
  userId: string;
  role: Role;
  lastSeenMs: number;
  idleExpiresMs: number;
  absoluteExpiresMs: number;
}

export interface CachedInstance {
  storageKey: string;
  transferSyntaxUid: string;
  needsExtraction: boolean;
  /** Every frame's byte ranges, in order. */
  frames: Array<Array<[number, number]>>;
}

interface Entry<T> {
  value: T;
  /** Epoch ms after which it is not used. */
  until: number;
}

/**
 * Statements this process runs that may narrow access: UPDATE, DELETE or TRUNCATE of the tables
 * the decisions come from. The session touch (last_seen_at and idle_expires_at moved forward) is
 * not one. Inserts only ever widen access, and only positive decisions are kept.
 */
const NARROWING_WRITE = /\b(?:update|delete\s+from|truncate(?:\s+table)?)\s+(?:only\s+)?(?:"?public"?\.)?"?(?:session|app_user|exam|exam_access|document|dicom_study|dicom_series|dicom_instance)"?(?:[\s,;]|$)/i;
/** A bound value: a placeholder, or a literal as the ORM inlines it in the statement it announces. */
const VALUE = String.raw`(?:\?|\$\d+|'[^']*')`;
const SESSION_TOUCH = new RegExp(String.raw`^\s*update\s+"?session"?\s+set\s+"?last_seen_at"?\s*=\s*${VALUE}\s*,\s*"?idle_expires_at"?\s*=\s*${VALUE}\s+where\s+"?id"?\s*=\s*${VALUE}\s*$`, 'i');

export function narrowsAccess(sql: string): boolean {
  return NARROWING_WRITE.test(sql) && !SESSION_TOUCH.test(sql);
}

export class DicomwebReadCache {
  private readonly sessions = new Map<string, Entry<CachedSession>>();
  private readonly reads = new Map<string, Entry<true>>();
  private readonly instances = new Map<string, Entry<CachedInstance>>();
  /**
   * A raw session token's SHA-256 (ADR 0140), for a token whose session entry is kept: it dies
   * with that entry (its `until`), goes with every drop and is never used while the cache is not.
   * A hash grants nothing by itself (the session's entry still has to be live and valid); this
   * spares recomputing it on each of a viewer's frames.
   */
  private readonly tokens = new Map<string, Entry<string>>();
  /** Bumped whenever everything is dropped: a database read begun before it is not kept. */
  private generation = 0;
  private readonly pending = new Map<string, Promise<unknown>>();
  private unusedUntil = 0;

  constructor(
    private readonly listening: () => boolean,
    private readonly ttlMs = READ_CACHE_TTL_MS,
    private readonly now: () => number = Date.now,
    private readonly indexTtlMs = INDEX_CACHE_TTL_MS,
  ) {}

  /** Whether entries may be used and kept now: never while the LISTEN connection is down. */
  usable(): boolean {
    if (!this.listening()) {
      this.dropAll();
      return false;
    }
    return this.now() >= this.unusedUntil;
  }

  /** Drops every entry; a read begun before is not kept either. */
  dropAll(): void {
    this.generation++;
    this.sessions.clear();
    this.reads.clear();
    this.instances.clear();
    this.tokens.clear();
  }

  /** A write of this process that may narrow access: everything dropped, and nothing kept or used for the TTL. */
  suspend(): void {
    this.dropAll();
    this.unusedUntil = Math.max(this.unusedUntil, this.now() + this.ttlMs);
  }

  /** The mark to give `keep`: taken before the database is read. */
  mark(): number {
    return this.generation;
  }

  /** The session of a token hash, the read decision and the instance's index, all three or nothing. */
  frames(tokenHash: string, userStudy: (userId: string) => string, instanceKey: string): { session: CachedSession; instance: CachedInstance } | undefined {
    if (!this.usable()) return undefined;
    const now = this.now();
    const session = live(this.sessions, tokenHash, now);
    if (!session || now >= session.idleExpiresMs || now >= session.absoluteExpiresMs) return undefined;
    if (!live(this.reads, userStudy(session.userId), now)) return undefined;
    const instance = live(this.instances, instanceKey, now);
    return instance ? { session, instance } : undefined;
  }

  /**
   * One database read for the same `key` at a time: requests that miss together (a series'
   * first frames, by a viewer's parallel connections) share the read begun first, unless
   * everything was dropped since it began (a read after a drop is a new one).
   */
  shared<T>(key: string, read: () => Promise<T>): Promise<T> {
    const full = `${this.generation}\n${key}`;
    let running = this.pending.get(full) as Promise<T> | undefined;
    if (!running) {
      running = read().finally(() => this.pending.delete(full));
      this.pending.set(full, running);
    }
    return running;
  }

  /** Keeps what one database read found, unless everything was dropped since `mark`. */
  keep(mark: number, found: { tokenHash: string; session: CachedSession; userStudy?: string; instanceKey?: string; instance?: CachedInstance }): void {
    if (mark !== this.generation || !this.usable()) return;
    const until = this.now() + this.ttlMs;
    put(this.sessions, found.tokenHash, { value: found.session, until });
    if (found.userStudy) put(this.reads, found.userStudy, { value: true, until });
    if (found.instanceKey && found.instance) put(this.instances, found.instanceKey, { value: found.instance, until: until - this.ttlMs + this.indexTtlMs });
  }

  /** The hash remembered for a raw session token, undefined unless its session's entry is still kept. */
  rememberedHash(token: string): string | undefined {
    const entry = this.tokens.get(token);
    if (!entry || !this.usable()) return undefined;
    return live(this.tokens, token, this.now());
  }

  /** Remembers a raw token's hash while its session's entry lives (and not at all without one). */
  rememberToken(token: string, tokenHash: string): void {
    if (!this.usable()) return;
    const session = this.sessions.get(tokenHash);
    if (!session || this.now() >= session.until) return;
    put(this.tokens, token, { value: tokenHash, until: session.until });
  }

  /** How many raw tokens are remembered (for tests). */
  rememberedTokens(): number {
    return this.tokens.size;
  }

  /** After this process wrote the session's touch: its entry carries the new times, its age unchanged. */
  touched(tokenHash: string, lastSeenMs: number, idleExpiresMs: number): void {
    const entry = this.sessions.get(tokenHash);
    if (entry) entry.value = { ...entry.value, lastSeenMs, idleExpiresMs };
  }
}

function live<T>(map: Map<string, Entry<T>>, key: string, now: number): T | undefined {
  const entry = map.get(key);
  if (!entry) return undefined;
  if (now >= entry.until) {
    map.delete(key);
    return undefined;
  }
  return entry.value;
}

function put<T>(map: Map<string, Entry<T>>, key: string, entry: Entry<T>): void {
  map.delete(key);
  map.set(key, entry);
  if (map.size > MAX_ENTRIES) map.delete(map.keys().next().value!);
}

/** Knex's client: every statement of the ORM and of PreparedStatements is announced on it. */
interface QueryEvents {
  on(event: 'query', listener: (data: { sql?: string }) => void): unknown;
}

const caches = new WeakMap<AppDeps, DicomwebReadCache>();

/**
 * The process's cache for one app's dependencies, wired on first use: the triggers'
 * notifications and a gap's recovery drop it; this process's narrowing writes suspend it.
 */
export function readCacheOf(deps: AppDeps): DicomwebReadCache {
  let cache = caches.get(deps);
  if (cache) return cache;
  cache = new DicomwebReadCache(() => deps.pubsub.listening);
  caches.set(deps, cache);
  const wired = cache;
  const client = deps.orm.em.getConnection().getKnex().client as unknown as QueryEvents;
  client.on('query', (data) => {
    if (typeof data.sql === 'string' && narrowsAccess(data.sql)) wired.suspend();
  });
  const events = deps.pubsub.subscribe(READ_CACHE_TOPIC, undefined, {
    // Notifications sent while the connection was down are lost: whatever was kept goes.
    recover: () => {
      wired.dropAll();
      return Promise.resolve([]);
    },
  });
  void (async () => {
    for await (const _ of events) wired.dropAll();
  })().catch((err: unknown) => deps.logger.warn({ err: { name: err instanceof Error ? err.name : typeof err } }, 'DICOMweb read cache: notifications stopped'));
  return cache;
}
