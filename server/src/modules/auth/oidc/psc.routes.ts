import type { Request, Response } from 'express';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppDeps } from '../../../app-deps.js';
import { AppError, ErrorCode } from '../../../common/errors.js';
import type { Context } from '../../../graphql/context.js';
import { resolveViewer } from '../../../graphql/viewer.js';
import { clientAddress } from '../../../infra/http/client-address.js';
import { cookieWriter, parseCookies } from '../../../infra/http/cookies.js';
import type { HttpModule } from '../../../infra/http/modules.js';
import { PSC_COOKIE_PATH, PscLoginRefused, finishLogin, homeOf, logoutEverywhere, startLogin, type PscRefusal } from './psc.service.js';

/**
 * Pro Santé Connect's browser routes (ADR 0123, 0124):
 * - GET /api/auth/psc/login[?suite=/path]: to the provider (404 when PSC is not configured);
 * - GET /api/auth/psc/callback: back from it, to `suite` or the role's home page with a session, or to the
 *   login page with `?psc=<reason>`, which the page says in French or English;
 * - POST /api/auth/logout (JSON): ends the session, password or PSC, and answers
 *   `{ redirectTo }`, the provider's logout URL for a PSC session, else null.
 */
export const pscRoutesModule: HttpModule = {
  name: 'pro-sante-connect',
  register(app, deps) {
    const { config, logger } = deps;

    app.get(`${PSC_COOKIE_PATH}/login`, async (req, res) => {
      noStore(res);
      if (!config.psc) return notConfigured(res);
      const ctx = await contextOf(req, res, deps, { resolveSession: false });
      try {
        const suite = typeof req.query.suite === 'string' ? req.query.suite : null;
        res.redirect(302, await startLogin(ctx, config.psc, suite));
      } catch (error) {
        if (error instanceof AppError && error.code === ErrorCode.RATE_LIMITED) return toLoginPage(res, 'rate-limited');
        logger.warn({ err: error }, 'Pro Santé Connect: the login could not start');
        toLoginPage(res, 'unavailable');
      }
    });

    app.get(`${PSC_COOKIE_PATH}/callback`, async (req, res) => {
      noStore(res);
      if (!config.psc) return notConfigured(res);
      const ctx = await contextOf(req, res, deps, { resolveSession: false });
      // The browser's login cookie stays (it lives 10 minutes): another tab's login may be under way.
      const callbackUrl = new URL(config.psc.redirectUrl);
      callbackUrl.search = new URL(req.originalUrl, 'http://callback.invalid').search;
      try {
        const { user, returnTo } = await finishLogin(ctx, config.psc, callbackUrl);
        res.redirect(302, returnTo ?? homeOf(user));
      } catch (error) {
        if (!(error instanceof PscLoginRefused)) throw error;
        logger.warn({ reason: error.reason, detail: error.detail }, 'Pro Santé Connect login refused');
        toLoginPage(res, error.reason);
      }
    });

    app.post('/api/auth/logout', async (req, res) => {
      noStore(res);
      // A cross-site form cannot send JSON without asking first (CORS), and the session cookie is
      // SameSite=Lax anyway: no other site logs a person out.
      if (!req.is('application/json')) {
        res.status(415).json({ error: 'Send Content-Type: application/json' });
        return;
      }
      const ctx = await contextOf(req, res, deps, { resolveSession: true });
      res.json({ redirectTo: await logoutEverywhere(ctx, config.psc) });
    });
  },
};

function noStore(res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
}

function notConfigured(res: Response): void {
  res.status(404).json({ error: 'Pro Santé Connect is not configured' });
}

function toLoginPage(res: Response, reason: PscRefusal): void {
  res.redirect(302, `/connexion?psc=${encodeURIComponent(reason)}`);
}

async function contextOf(req: Request, res: Response, deps: AppDeps, opts: { resolveSession: boolean }): Promise<Context> {
  const em = deps.orm.em.fork() as EntityManager;
  const cookies = parseCookies(req.headers.cookie);
  const viewer = opts.resolveSession ? await resolveViewer(em, deps, { cookies, authorization: undefined }, { touch: false }) : ({ kind: 'anonymous' } as const);
  return {
    deps,
    em,
    viewer,
    request: { ip: clientAddress(req, deps.config), userAgent: req.headers['user-agent'] ?? null, cookies },
    cookies: cookieWriter(res, deps.config),
    memo: new Map(),
  };
}
