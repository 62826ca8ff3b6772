import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppDeps } from '../app-deps.js';
import { SESSION_COOKIE, resolveSession } from '../modules/auth/auth.service.js';
import type { Viewer } from './context.js';

export interface ViewerSource {
  cookies: Record<string, string>;
  authorization: string | undefined;
}

/**
 * Ways a request can identify its caller, tried in order. Modules add theirs (facility API
 * keys, share grants). The first that recognises the request wins.
 */
export type ViewerResolver = (em: EntityManager, deps: AppDeps, src: ViewerSource, opts: { touch: boolean }) => Promise<Viewer | null>;

const sessionResolver: ViewerResolver = async (em, deps, src, opts) => {
  const s = await resolveSession(em, deps.config, src.cookies[SESSION_COOKIE], opts);
  return s ? { kind: 'user', user: s.user, session: s.session } : null;
};

const resolversChain: ViewerResolver[] = [sessionResolver];

export function addViewerResolver(r: ViewerResolver): void {
  if (!resolversChain.includes(r)) resolversChain.push(r);
}

export async function resolveViewer(em: EntityManager, deps: AppDeps, src: ViewerSource, opts = { touch: true }): Promise<Viewer> {
  for (const r of resolversChain) {
    const v = await r(em, deps, src, opts);
    if (v) return v;
  }
  return { kind: 'anonymous' };
}
