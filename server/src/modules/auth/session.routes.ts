import type { EntityManager } from '@mikro-orm/postgresql';
import { resolveViewer } from '../../graphql/viewer.js';
import { parseCookies } from '../../infra/http/cookies.js';
import type { HttpModule } from '../../infra/http/modules.js';

/**
 * GET /api/session: how long the session has left, WITHOUT sliding it. Image viewing keeps a
 * session alive through DICOMweb requests that the page's GraphQL client never sees; before it
 * warns or logs out, the page asks here what the server thinks. Asking is not activity.
 */
export const sessionStatusModule: HttpModule = {
  name: 'session-status',
  register(app, deps) {
    app.get('/api/session', async (req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      const viewer = await resolveViewer(deps.orm.em.fork() as EntityManager, deps, {
        cookies: parseCookies(req.headers.cookie),
        authorization: undefined,
      }, { touch: false });
      if (viewer.kind !== 'user') {
        res.status(401).json({ active: false });
        return;
      }
      const now = Date.now();
      res.json({
        active: true,
        idleRemainingSeconds: Math.max(0, Math.floor((viewer.session.idleExpiresAt.getTime() - now) / 1000)),
        absoluteRemainingSeconds: Math.max(0, Math.floor((viewer.session.absoluteExpiresAt.getTime() - now) / 1000)),
      });
    });
  },
};
