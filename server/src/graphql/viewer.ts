import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppDeps } from '../app-deps.js';
import { SESSION_COOKIE, checkSession, type SessionCheckOptions } from '../modules/auth/auth.service.js';
import type { Viewer } from './context.js';

export interface ViewerSource {
  cookies: Record<string, string>;
  authorization: string | undefined;
}

/**
 * A request's EntityManager, forked on first use (a GraphQL request that reads no entity, such
 * as `me` or the dashboard, forks none). Whatever must be in it before any other use (the
 * viewer's entities, as when the fork came first) is added by `onFork`, at the fork.
 */
export class LazyEntityManager {
  private em: EntityManager | undefined;
  private readonly hooks: Array<(em: EntityManager) => void> = [];

  constructor(private readonly fork: () => EntityManager) {}

  get(): EntityManager {
    if (!this.em) {
      this.em = this.fork();
      for (const hook of this.hooks) hook(this.em);
    }
    return this.em;
  }

  /** Runs `hook` in the EntityManager as soon as it exists (now, if it does). */
  onFork(hook: (em: EntityManager) => void): void {
    if (this.em) hook(this.em);
    else this.hooks.push(hook);
  }
}

/**
 * Ways a request can identify its caller, tried in order. Modules add theirs (facility API
 * keys, share grants). The first that recognises the request wins.
 */
export type ViewerResolver = (em: EntityManager, deps: AppDeps, src: ViewerSource, opts: { touch: boolean }) => Promise<Viewer | null>;

/**
 * The session cookie, checked on every request (one prepared statement: a revoked session or a
 * disabled user is refused at once). With a lazy EntityManager the User and Session entities are
 * made when it is forked, before anything else uses it, or when `viewer.user` / `viewer.session`
 * are first read; with an EntityManager, at once, in it.
 */
async function sessionViewer(em: EntityManager | LazyEntityManager, deps: AppDeps, src: ViewerSource, opts: SessionCheckOptions): Promise<Viewer | null> {
  if (!(em instanceof LazyEntityManager)) {
    const s = await checkSession(em, () => em, deps.config, src.cookies[SESSION_COOKIE], opts);
    return s ? { kind: 'user', ...s.entities(em), caller: s.caller } : null;
  }
  const lazy = em;
  const s = await checkSession(deps.orm.em as EntityManager, () => lazy.get(), deps.config, src.cookies[SESSION_COOKIE], opts);
  if (!s) return null;
  lazy.onFork((forked) => s.entities(forked));
  return {
    kind: 'user',
    caller: s.caller,
    get user() {
      return s.entities(lazy.get()).user;
    },
    get session() {
      return s.entities(lazy.get()).session;
    },
  };
}

const resolversChain: ViewerResolver[] = [];

export function addViewerResolver(r: ViewerResolver): void {
  if (!resolversChain.includes(r)) resolversChain.push(r);
}

/** The caller: the session cookie first, then the modules' ways (which get the EntityManager, forked if lazy). */
export async function resolveViewer(em: EntityManager | LazyEntityManager, deps: AppDeps, src: ViewerSource, opts: SessionCheckOptions = { touch: true }): Promise<Viewer> {
  const session = await sessionViewer(em, deps, src, opts);
  if (session) return session;
  for (const r of resolversChain) {
    const v = await r(em instanceof LazyEntityManager ? em.get() : em, deps, src, { touch: opts.touch });
    if (v) return v;
  }
  return { kind: 'anonymous' };
}
