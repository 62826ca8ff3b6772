import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppDeps } from '../app-deps.js';
import type { SessionCaller } from '../modules/auth/auth.service.js';
import type { Session } from '../modules/auth/session.entity.js';
import type { Role, User } from '../modules/auth/user.entity.js';
import type { Facility } from '../modules/facility/facility.entity.js';

/** Who is calling. Every authorisation decision starts from this, never from the client's word. */
export type Viewer =
  | { kind: 'anonymous' }
  /**
   * `caller` is the session's row as read on this request (role, ids, names, expiry): enough for
   * authorisation and most reads. `user` and `session` are the same row as entities of the
   * request's EntityManager; over GraphQL they are made when first read (or when that
   * EntityManager is forked), so read `caller` where it says enough.
   */
  | { kind: 'user'; user: User; session: Session; caller: SessionCaller }
  | { kind: 'facility'; facility: Facility; apiKeyId: string }
  | { kind: 'share'; shareId: string; documentId: string; examId: string; studyInstanceUid: string | null; expiresAt: Date };

export interface CookieWriter {
  set(name: string, value: string, opts: { maxAgeSeconds?: number; path?: string }): void;
  clear(name: string, opts?: { path?: string }): void;
}

export interface RequestInfo {
  ip: string | null;
  userAgent: string | null;
  /** The request's cookies, where the transport has them (GraphQL over HTTP): login reads its device cookie. */
  cookies?: Readonly<Record<string, string>>;
}

export interface Context {
  deps: AppDeps;
  /**
   * Forked per request (or per subscription event): no identity map shared between callers.
   * Over HTTP it is forked when first read.
   */
  readonly em: EntityManager;
  viewer: Viewer;
  request: RequestInfo;
  cookies: CookieWriter;
  /** Per-operation memo (DataLoaders live here): see `perRequest`. */
  memo: Map<unknown, unknown>;
}

export function userOf(ctx: Context): User | null {
  return ctx.viewer.kind === 'user' ? ctx.viewer.user : null;
}

export function hasRole(ctx: Context, ...roles: Role[]): boolean {
  return ctx.viewer.kind === 'user' && roles.includes(ctx.viewer.caller.role);
}

/**
 * Memoises a per-operation object (a DataLoader, typically) by its factory, so each module
 * declares its loaders next to its code and they are never shared between requests:
 *   const examsByPatient = perRequest((ctx) => new DataLoader(...));
 *   examsByPatient(ctx).load(id)
 */
export function perRequest<T>(factory: (ctx: Context) => T): (ctx: Context) => T {
  return (ctx) => {
    if (!ctx.memo.has(factory)) ctx.memo.set(factory, factory(ctx));
    return ctx.memo.get(factory) as T;
  };
}
