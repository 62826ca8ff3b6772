import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppDeps } from '../app-deps.js';
import { clientAddress } from '../infra/http/client-address.js';
import { cookieWriter, parseCookies } from '../infra/http/cookies.js';
import type { Context, CookieWriter, RequestInfo, Viewer } from './context.js';
import { sessionRowsOf } from '../modules/auth/session-rows.js';
import { contextError } from './unavailable.js';
import { LazyEntityManager, resolveViewer } from './viewer.js';

/**
 * The context of a GraphQL request over HTTP. The caller is resolved on every request (the
 * session's prepared statement, or for a document of queries only its row kept a moment ago:
 * ADR 0142; its touch); the EntityManager, which a resolver may not need, is
 * forked when first read, with the viewer's entities made in it first.
 */
export function graphqlHttpContext(deps: AppDeps): (args: { req: Request; res: Response }) => Promise<Context> {
  const make = httpContextMaker(deps);
  return ({ req, res }) => make(req, res, res.locals.queriesOnly === true);
}

/**
 * The same context for any Node request and response (Express's, or the fast path's:
 * graphql-fast-path.ts). `queriesOnly`: every operation of the request's document is a query.
 */
export function httpContextMaker(deps: AppDeps): (req: IncomingMessage, res: ServerResponse, queriesOnly: boolean) => Promise<Context> {
  const { config, orm } = deps;
  return async (req, res, queriesOnly) => {
    const em = new LazyEntityManager(() => orm.em.fork() as EntityManager);
    const cookies = parseCookies(req.headers.cookie);
    // A request made of queries only may reuse the session's row read a moment ago (ADR 0142).
    const rows = queriesOnly ? sessionRowsOf(deps) : undefined;
    const viewer = await resolveViewer(em, deps, { cookies, authorization: req.headers.authorization }, { touch: true, rows }).catch((err: unknown) => {
      throw contextError(err);
    });
    // Read now: once the client has gone, its socket no longer says who it was.
    const request: RequestInfo = { ip: clientAddress(req, config), userAgent: req.headers['user-agent'] ?? null, cookies };
    return new HttpContext(deps, em, viewer, request, cookieWriter(res, config));
  };
}

/**
 * `em` is a getter of the prototype, not an own property: Apollo copies the context's own
 * properties into a new object for each operation (which would read, so fork, the
 * EntityManager); the copy keeps this prototype and shares `lazyEm`.
 */
class HttpContext implements Context {
  readonly memo = new Map<unknown, unknown>();

  constructor(
    readonly deps: AppDeps,
    private readonly lazyEm: LazyEntityManager,
    readonly viewer: Viewer,
    readonly request: RequestInfo,
    readonly cookies: CookieWriter,
  ) {}

  get em(): EntityManager {
    return this.lazyEm.get();
  }
}
