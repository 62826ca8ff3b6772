import { randomFillSync } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppDeps } from '../../app-deps.js';
import { PreparedStatements } from '../../infra/db/prepared-statements.js';
import { cookieValue } from '../../infra/http/cookies.js';
import { securityHeaderPairs } from '../../infra/http/security-headers.js';
import { safePath } from '../../infra/logger.js';
import { frameRequestFinished, frameRequestStarted } from '../../infra/metrics/metrics.js';
import { SESSION_COOKIE, sessionTokenHash } from '../auth/auth.service.js';
import { canDecodeSyntax } from '../pixels/decode.js';
import { readerOf } from './dicomweb.routes.js';
import { negotiateFrames, type FrameRepresentation } from './media-types.js';
import { readCacheOf } from './read-cache.js';
import { POOLED_BODY_BYTES, giveBackBodyBuffer, takeBodyBuffer } from './response-body.js';
import { framesBySessionCookie, framesFromCache, parseFrameList, type FrameDeps, type Frames } from './wado.service.js';

/**
 * The viewers' hot path without Express (issue 22): GET /dicomweb/studies/{study}/series/{series}
 * /instances/{instance}/frames/{list} by a valid session cookie, for frames sent as stored. It
 * decides with the route's own functions (framesBySessionCookie: the session check, its touch,
 * the physician's read rule and the frame index in one statement; negotiateFrames), then reads
 * the frames into one pooled buffer behind their multipart framing and writes headers and body
 * at once. Whatever it does not settle with a 200 — no or an invalid cookie (share grants, API
 * keys), any refusal or error, a transcoded or extracted frame, a body over one pooled buffer,
 * an unusual URL — goes to Express untouched, which answers it as before (the decision is made
 * again there: a refused request costs two lookups, a served one one). Nothing is written on the
 * response before the fast path knows it answers 200.
 *
 * What Express's stack does for this route is done here too: the security headers and
 * Cache-Control: no-store, the request metrics (same series and values), the request log at
 * debug level, in-flight tracking and `Connection: close` while draining (ADR 0112/0116).
 */

/** UIDs (digits and dots) and a frame list (digits and commas), nothing else: no escapes, no query, no trailing slash. */
const FRAME_URL = /^\/dicomweb\/studies\/([0-9.]{1,64})\/series\/([0-9.]{1,64})\/instances\/([0-9.]{1,64})\/frames\/([0-9,]{1,200})$/;

export interface Traffic {
  /** Draining (ADR 0112): each answer closes its connection. */
  draining(): boolean;
  /** Responses in flight, so that a drain starting meanwhile can mark them. */
  inFlight: Set<ServerResponse>;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

export function frameFastPath(deps: AppDeps, traffic: Traffic, express: Listener): Listener {
  const frameDeps: FrameDeps = { statements: new PreparedStatements(deps.orm), storage: deps.storage, config: deps.config, readCache: readCacheOf(deps) };
  const security = securityHeaderPairs(deps.config).flat();
  const { logger } = deps;

  const negotiated = new NegotiationMemo();

  const answer = async (req: IncomingMessage, res: ServerResponse, match: RegExpExecArray, start: bigint, readAtStart: number): Promise<boolean> => {
    const tokenHash = sessionTokenHash(cookieValue(req.headers.cookie, SESSION_COOKIE));
    if (!tokenHash) return false;
    const [, study, series, instance, list] = match as unknown as [string, string, string, string, string];
    const ref = { study, series, instance };
    const numbers = parseFrameList(list);
    // The read cache settles most requests without a promise; a miss reads the database.
    const frames = framesFromCache(frameDeps, tokenHash, ref, numbers) ?? (await framesBySessionCookie(frameDeps, readerOf(deps, frameDeps, req), ref, numbers));
    if (!frames?.stored) return false;
    const representation = negotiated.frames(req.headers.accept, frames.transferSyntaxUid, frames.count);
    if (representation.transcode) return false;
    const body = await assemble(frameDeps, frames.stored, representation.multipart ? { boundary: boundaries.next(), partType: representation.partContentType } : undefined);
    if (!body) return false;
    const contentType = representation.multipart ? `multipart/related; type="${representation.rootType}"; boundary=${body.boundary}` : representation.partContentType;
    const headers = [...security, 'Cache-Control', 'no-store', 'Content-Type', contentType, 'Content-Length', String(body.length)];
    if (traffic.draining()) headers.push('Connection', 'close');
    res.writeHead(200, headers);
    res.end(body.buffer.subarray(0, body.length), () => {
      // Only once the socket is done with it; a response cut short leaves it to the collector.
      giveBackBodyBuffer(body.buffer);
      frameRequestFinished(req.socket, readAtStart, start, body.length);
      if (logger.isLevelEnabled('debug')) {
        logger.debug({ method: req.method, path: safePath(req.url ?? ''), status: 200, ms: Number(process.hrtime.bigint() - start) / 1e6 }, 'request');
      }
    });
    return true;
  };

  return (req, res) => {
    const match = req.method === 'GET' ? FRAME_URL.exec(req.url ?? '') : null;
    if (!match) {
      express(req, res);
      return;
    }
    const start = process.hrtime.bigint();
    const readAtStart = frameRequestStarted(req.socket);
    if (!traffic.draining()) {
      traffic.inFlight.add(res);
      res.once('close', () => traffic.inFlight.delete(res));
    }
    answer(req, res, match, start, readAtStart).then(
      (answered) => answered || express(req, res),
      // Refusals and failures are Express's to answer, exactly as before (nothing was written).
      () => (res.headersSent ? res.destroy() : express(req, res)),
    );
  };
}

/** The frames behind their multipart framing (or alone), in one pooled buffer; undefined when they do not fit one. */
async function assemble(
  deps: FrameDeps,
  stored: NonNullable<Frames['stored']>,
  multipart: { boundary: string; partType: string } | undefined,
): Promise<{ buffer: Buffer; length: number; boundary: string } | undefined> {
  const partHead = multipart ? `--${multipart.boundary}\r\nContent-Type: ${multipart.partType}\r\n\r\n` : '';
  const tail = multipart ? `\r\n--${multipart.boundary}--\r\n` : '';
  let length = tail.length;
  for (const [i, frame] of stored.ranges.entries()) {
    length += (i === 0 ? 0 : 2) + partHead.length;
    for (const [, n] of frame) length += n;
  }
  if (length > POOLED_BODY_BYTES) return undefined;
  const buffer = takeBodyBuffer();
  try {
    let at = 0;
    for (const [i, frame] of stored.ranges.entries()) {
      if (multipart) at += buffer.write(`${i === 0 ? '' : '\r\n'}${partHead}`, at, 'latin1');
      await deps.storage.readRangesInto(stored.key, frame as Array<[number, number]>, buffer, at);
      for (const [, n] of frame) at += n;
    }
    at += buffer.write(tail, at, 'latin1');
    return { buffer, length: at, boundary: multipart?.boundary ?? '' };
  } catch (error) {
    giveBackBodyBuffer(buffer);
    throw error;
  }
}

/** negotiateFrames is a function of its arguments: its answers for the few Accept headers viewers send are kept (refusals are not). */
class NegotiationMemo {
  private readonly answers = new Map<string, FrameRepresentation>();

  frames(accept: string | undefined, syntax: string, count: number): FrameRepresentation {
    // Long headers are not kept: 256 of them at most in any case.
    if (accept !== undefined && accept.length > 256) return negotiateFrames(accept, syntax, count, canDecodeSyntax(syntax));
    const key = `${count}\n${syntax}\n${accept ?? ''}`;
    let answer = this.answers.get(key);
    if (!answer) {
      answer = negotiateFrames(accept, syntax, count, canDecodeSyntax(syntax));
      if (this.answers.size >= 256) this.answers.clear();
      this.answers.set(key, answer);
    }
    return answer;
  }
}

/**
 * Multipart boundaries as newBoundary makes them (`emage-` and 128 random bits in hex), drawn
 * from random bytes filled 256 boundaries at a time rather than one call per answer.
 */
const boundaries = {
  pool: Buffer.alloc(16 * 256),
  used: 256,
  next(): string {
    if (this.used === 256) {
      randomFillSync(this.pool);
      this.used = 0;
    }
    const at = 16 * this.used++;
    return `emage-${this.pool.toString('hex', at, at + 16)}`;
  },
};
