import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Request, type Response } from 'express';
import { forkEm } from '../../bootstrap.js';
import { cookiesAreSecure, type Config } from '../../config.js';
import { AppError, ErrorCode } from '../../common/errors.js';
import { addViewerResolver } from '../../graphql/viewer.js';
import { clientAddress } from '../../infra/http/client-address.js';
import { parseCookies } from '../../infra/http/cookies.js';
import type { HttpModule } from '../../infra/http/modules.js';
import { escapeHtml } from '../../infra/mail/templates.js';
import { SHARE_GRANT_COOKIE, grantState, openShareLink, shareGrantViewerResolver } from './share-grant.service.js';
import './share.mail.js';

/** Where the share page lives once the token has been exchanged: no token in the address bar. */
export const SHARE_PAGE_PATH = '/partage';

/** The share page, its exchange and its errors leak nothing through Referer, nor to caches. */
function privatePage(res: Response): void {
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
}

type Refusal = 'unknown' | 'expired' | 'revoked' | 'rate-limited';

const REFUSALS: Record<Refusal, { status: number; fr: string; en: string }> = {
  unknown: {
    status: 404,
    fr: 'Ce lien de partage n’est pas valide. Vérifiez qu’il a été copié en entier depuis l’e-mail reçu.',
    en: 'This share link is not valid. Check that it was copied in full from the e-mail.',
  },
  expired: { status: 410, fr: 'Ce lien de partage a expiré.', en: 'This share link has expired.' },
  revoked: { status: 410, fr: 'Ce lien de partage a été révoqué par le médecin.', en: 'This share link was revoked by the physician.' },
  'rate-limited': {
    status: 429,
    fr: 'Trop de tentatives d’ouverture de liens depuis votre connexion. Réessayez dans quelques minutes.',
    en: 'Too many attempts to open links from your connection. Try again in a few minutes.',
  },
};

/**
 * A refused link gets a page that says why, in French with the English below, and nothing
 * else: no exam, no name, no hint whether an unknown token was ever issued.
 */
function refusalPage(config: Config, refusal: Refusal): string {
  const r = REFUSALS[refusal];
  const support = `${escapeHtml(config.supportPhone)} ou <a href="mailto:${escapeHtml(config.supportEmail)}">${escapeHtml(config.supportEmail)}</a>`;
  return `<!doctype html><html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>e-mage — Lien de partage</title>
<style>body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1d2939;background:#f5f7fa;margin:0}
main{max-width:560px;margin:2rem auto;padding:1.5rem;background:#fff;border:1px solid #d0d5dd;border-radius:8px}
.brand{color:#0b5cad;font-weight:700;font-size:1.4rem;margin:0}.tag{color:#475467;margin:0 0 1.5rem}
h1{font-size:1.25rem}.en{color:#475467}footer{text-align:center;color:#475467;font-size:.9rem;padding:1rem}
@media (max-width:600px){main{margin:0;border-radius:0;border-width:0 0 1px}}</style></head>
<body><main><p class="brand">e-mage</p><p class="tag">Imagerie médicale partagée</p>
<h1 data-testid="share-refusal" data-reason="${refusal}">${escapeHtml(r.fr)}</h1>
<p class="en" lang="en">${escapeHtml(r.en)}</p></main>
<footer>Besoin d’assistance ? Contactez le support ${escapeHtml(config.supportLabel)} : ${support}</footer></body></html>`;
}

/**
 * The public side of sharing: `/s/<token>` exchanges the e-mailed token for a grant cookie and
 * redirects (303) to a token-less page; `/partage` serves the share page (client/share) and
 * `/api/share/state` tells it why its grant stopped working. The grant resolver is added to the
 * viewer chain here, so GraphQL, DICOMweb and the report route all know share grants.
 */
export const shareRoutesModule: HttpModule = {
  name: 'share',
  register(app, deps) {
    const { config } = deps;
    addViewerResolver(shareGrantViewerResolver);

    app.get('/s/:token', async (req: Request<{ token: string }>, res: Response) => {
      privatePage(res);
      const em = forkEm(deps);
      try {
        const outcome = await openShareLink(em, deps, req.params.token, { ip: clientAddress(req, config), userAgent: req.headers['user-agent'] ?? null });
        if (outcome.kind === 'opened') {
          res.cookie(SHARE_GRANT_COOKIE, outcome.grant, {
            httpOnly: true,
            sameSite: 'strict',
            secure: cookiesAreSecure(config),
            path: '/',
            maxAge: outcome.maxAgeSeconds * 1000,
          });
          res.redirect(303, SHARE_PAGE_PATH);
          return;
        }
        res.status(REFUSALS[outcome.kind].status).type('html').send(refusalPage(config, outcome.kind));
      } catch (err) {
        if (!(err instanceof AppError) || err.code !== ErrorCode.RATE_LIMITED) throw err;
        res.setHeader('Retry-After', String(err.extensions.retryAfterSeconds ?? 60));
        res.status(429).type('html').send(refusalPage(config, 'rate-limited'));
      }
    });

    app.get('/api/share/state', async (req: Request, res: Response) => {
      privatePage(res);
      res.json({ state: await grantState(forkEm(deps), parseCookies(req.headers.cookie)[SHARE_GRANT_COOKIE]) });
    });

    const shareDir = path.join(config.clientDir, 'share', 'dist');
    app.use('/share-app', express.static(shareDir, { index: false, fallthrough: false, maxAge: '1h' }));
    app.get([SHARE_PAGE_PATH, `${SHARE_PAGE_PATH}/`], (_req: Request, res: Response, next) => {
      const index = path.join(shareDir, 'index.html');
      if (!existsSync(index)) {
        next();
        return;
      }
      privatePage(res);
      res.sendFile(index);
    });
  },
};
