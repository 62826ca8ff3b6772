import type { Request, Response } from 'express';
import { forkEm } from '../../bootstrap.js';
import { AppError, httpStatusOf } from '../../common/errors.js';
import type { Context } from '../../graphql/context.js';
import { resolveViewer } from '../../graphql/viewer.js';
import { clientAddress } from '../../infra/http/client-address.js';
import { parseCookies } from '../../infra/http/cookies.js';
import type { HttpModule } from '../../infra/http/modules.js';
import { actorOf } from '../audit/audit.service.js';
import { openReport } from './document.service.js';

/**
 * GET /api/documents/:id/report.pdf — a report's PDF, inline, for the caller the session cookie
 * (or a share grant) names. Same rule as GraphQL (document.service): 401 without a session, 403
 * for callers who never see patient data, 404 for "absent or not yours". Never cached: the
 * bytes are health data.
 */
export const documentRoutesModule: HttpModule = {
  name: 'documents',
  register(app, deps) {
    app.get('/api/documents/:id/report.pdf', async (req: Request<{ id: string }>, res: Response) => {
      res.setHeader('Cache-Control', 'private, no-store');
      const em = forkEm(deps);
      try {
        const viewer = await resolveViewer(em, deps, { cookies: parseCookies(req.headers.cookie), authorization: req.headers.authorization });
        const request = { ip: clientAddress(req, deps.config), userAgent: req.headers['user-agent'] ?? null };
        // actorOf reads only the viewer and the request origin, which is all an HTTP route has.
        const actor = actorOf({ viewer, request } as Pick<Context, 'viewer' | 'request'> as Context);
        const pdf = await openReport(em, deps, viewer, req.params.id, actor);
        res.setHeader('Content-Type', 'application/pdf');
        // A fixed file name: the patient's name must not travel in headers or browser history.
        res.setHeader('Content-Disposition', 'inline; filename="compte-rendu.pdf"');
        res.setHeader('Content-Length', String(pdf.length));
        res.end(pdf);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        res.status(httpStatusOf(err.code)).json({ error: err.code });
      }
    });
  },
};
