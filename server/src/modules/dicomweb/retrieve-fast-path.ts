import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppDeps } from '../../app-deps.js';
import { PreparedStatements } from '../../infra/db/prepared-statements.js';
import { cookieValue } from '../../infra/http/cookies.js';
import { trackRequest, type Traffic } from '../../infra/http/request-tracking.js';
import { securityHeaderPairs } from '../../infra/http/security-headers.js';
import { dicomwebRequestFinished, dicomwebRequestStarted } from '../../infra/metrics/metrics.js';
import { SESSION_COOKIE, sessionTokenHash } from '../auth/auth.service.js';
import { slideSession, userReadScope, type ReadDeps } from './dicomweb-access.service.js';
import { negotiateDicom } from './media-types.js';
import { readCacheOf } from './read-cache.js';
import { sendBody, sendMultipart } from './response-body.js';
import { instanceSegment, instancesBySessionToken, type ResourceRef, type StoredInstance } from './wado.service.js';

/**
 * WADO-RS retrieve of a study, a series or an instance by a session cookie without Express
 * (issue 22, ADR 0145): GET /dicomweb/studies/{study}[/series/{series}[/instances/{instance}]],
 * the files sent as stored. A viewer opening a study downloads it whole; through Express the
 * answer paid a fixed 4–6 ms of server CPU (the viewer chain's session entity, the ORM's
 * unprepared listing, the router) before its first byte.
 *
 * It decides with one prepared statement (instancesBySessionToken: the session check, the
 * physician's read rule and the listing), the touch and the role as scopeOfSession applies them,
 * and negotiateDicom as the route does, then streams with the route's own sendMultipart or
 * sendBody. Whatever it does not settle with a 200 — no or an invalid cookie (share grants, API
 * keys), a role that may not read, a study that is not theirs or absent, nothing matching, a
 * transcoding asked for, an Accept it cannot serve, an unusual URL, a database error — goes to
 * Express untouched, which decides again and answers as before (a refused request costs two
 * lookups, a served one one). Nothing is written before the fast path knows it answers 200;
 * a stored file failing before the first byte left also goes to Express, after it.
 *
 * What Express's stack does for this route is done here too: the security headers and
 * Cache-Control: no-store, the request metrics (route `retrieve`, same series and values), the
 * request log, in-flight tracking and `Connection: close` while draining (ADR 0112/0116).
 */

/** UIDs (digits and dots) only: no escapes, no query, no trailing slash. */
const RETRIEVE_URL = /^\/dicomweb\/studies\/([0-9.]{1,64})(?:\/series\/([0-9.]{1,64})(?:\/instances\/([0-9.]{1,64}))?)?$/;

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

export function retrieveFastPath(deps: AppDeps, traffic: Traffic, express: Listener): Listener {
  const readDeps: ReadDeps = { statements: new PreparedStatements(deps.orm), config: deps.config };
  const readCache = readCacheOf(deps);
  const security = securityHeaderPairs(deps.config);
  const { logger } = deps;

  /**
   * The instances the cookie's physician may retrieve, or undefined when Express is to answer
   * (a throw too: userReadScope's refusal of another role is Express's to answer).
   */
  const decide = async (req: IncomingMessage, ref: ResourceRef): Promise<StoredInstance[] | undefined> => {
    const tokenHash = sessionTokenHash(cookieValue(req.headers.cookie, SESSION_COOKIE));
    if (!tokenHash) return undefined;
    const now = Date.now();
    const found = await instancesBySessionToken(readDeps, tokenHash, ref, now);
    if (!found || found.instances.length === 0) return undefined;
    const { session } = found;
    // The touch, then the role, as scopeOfSession applies them on every route.
    const touch = await slideSession(deps.config, () => deps.orm.em.fork() as EntityManager, session, now);
    if (touch) readCache.touched(tokenHash, now, touch.idleExpiresAt.getTime());
    userReadScope(session.role, session.userId);
    return found.instances;
  };

  /**
   * The answer streamed; false when Express is to answer (nothing written then). `tracked` is
   * set once the request is tracked (in flight, logged, measured), to be undone on a hand-over.
   */
  const answer = async (req: IncomingMessage, res: ServerResponse, ref: ResourceRef, start: bigint, readAtStart: number, tracked: { undo?: () => void }): Promise<boolean> => {
    const instances = await decide(req, ref);
    if (!instances) return false;
    let representation;
    try {
      representation = negotiateDicom(req.headers.accept, [...new Set(instances.map((i) => i.transferSyntaxUid))], ref.instance !== undefined);
    } catch {
      return false;
    }
    if (representation.transcode) return false;
    tracked.undo = trackRequest(req, res, traffic, logger, start, () => dicomwebRequestFinished('retrieve', req.socket, readAtStart, start, Number(res.getHeader('Content-Length'))));
    for (const [name, value] of security) res.setHeader(name, value);
    res.setHeader('Cache-Control', 'no-store');
    if (traffic.draining()) res.setHeader('Connection', 'close');
    if (representation.multipart) {
      await sendMultipart(res, deps.storage, instances.map((i) => ({ contentType: `application/dicom; transfer-syntax=${i.transferSyntaxUid}`, body: [instanceSegment(i)] })), 'application/dicom');
    } else {
      res.statusCode = 200;
      res.setHeader('Content-Type', 'application/dicom');
      await sendBody(res, deps.storage, [instanceSegment(instances[0]!)]);
    }
    return true;
  };

  return (req, res) => {
    const match = req.method === 'GET' ? RETRIEVE_URL.exec(req.url ?? '') : null;
    if (!match) {
      express(req, res);
      return;
    }
    const start = process.hrtime.bigint();
    const readAtStart = dicomwebRequestStarted(req.socket);
    const [, study, series, instance] = match as unknown as [string, string, string | undefined, string | undefined];
    const ref: ResourceRef = { study, ...(series === undefined ? {} : { series }), ...(instance === undefined ? {} : { instance }) };
    const tracked: { undo?: () => void } = {};
    answer(req, res, ref, start, readAtStart, tracked).then(
      (answered) => answered || express(req, res),
      (error: unknown) => {
        // Cut short after the first byte: the client sees a truncated body, as from Express.
        if (res.headersSent) {
          if (!(error instanceof Error && 'code' in error && error.code === 'ERR_STREAM_PREMATURE_CLOSE')) {
            logger.warn({ err: { name: error instanceof Error ? error.name : typeof error } }, 'DICOMweb response aborted');
          }
          res.destroy();
          return;
        }
        // Nothing sent: Express decides again and answers (503 on a lost database, 500 on a file).
        tracked.undo?.();
        for (const name of res.getHeaderNames()) res.removeHeader(name);
        res.statusCode = 200;
        express(req, res);
      },
    );
  };
}
