import { randomFillSync } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppDeps } from '../../app-deps.js';
import { PreparedStatements } from '../../infra/db/prepared-statements.js';
import { cookieValue } from '../../infra/http/cookies.js';
import type { Traffic } from '../../infra/http/request-tracking.js';
import { securityHeaderPairs } from '../../infra/http/security-headers.js';
import { safePath } from '../../infra/logger.js';
import { dicomwebRequestFinished, dicomwebRequestStarted } from '../../infra/metrics/metrics.js';
import { SESSION_COOKIE, sessionTokenHash } from '../auth/auth.service.js';
import { canDecodeSyntax } from '../pixels/decode.js';
import { readerOf } from './dicomweb.routes.js';
import { negotiateFrames, type FrameRepresentation } from './media-types.js';
import { readRangesIntoFastest, type Storage } from '../../infra/storage/storage.js';
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


type Listener = (req: IncomingMessage, res: ServerResponse) => void;

export function frameFastPath(deps: AppDeps, traffic: Traffic, express: Listener): Listener {
  const frameDeps: FrameDeps = { statements: new PreparedStatements(deps.orm), storage: deps.storage, config: deps.config, readCache: readCacheOf(deps) };
  const cache = frameDeps.readCache!;
  const security = securityHeaderPairs(deps.config).flat();
  const { logger } = deps;

  const negotiated = new NegotiationMemo();

  /**
   * The frames read then written (true: taken; a read that fails then calls `failed`), or false
   * when Express is to answer (nothing written then). A session's token is remembered with its
   * hash (ADR 0140) only once frames were found for it.
   */
  const send = (req: IncomingMessage, res: ServerResponse, frames: Frames | undefined, token: { raw: string; hash: string } | undefined, start: bigint, readAtStart: number, failed: () => void): boolean => {
    if (!frames?.stored) return false;
    if (token) cache.rememberToken(token.raw, token.hash);
    const representation = negotiated.frames(req.headers.accept, frames.transferSyntaxUid, frames.count);
    if (representation.transcode) return false;
    const body = layOut(frames.stored, representation.multipart ? { boundary: boundaries.next(), partType: representation.partContentType } : undefined);
    if (!body) return false;
    readFrames(frameDeps.storage, frames.stored, body, (error) => {
      if (error) {
        giveBackBodyBuffer(body.buffer);
        failed();
        return;
      }
      try {
        const contentType = representation.multipart ? `multipart/related; type="${representation.rootType}"; boundary=${body.boundary}` : representation.partContentType;
        const headers = [...security, 'Cache-Control', 'no-store', 'Content-Type', contentType, 'Content-Length', String(body.length)];
        if (traffic.draining()) headers.push('Connection', 'close');
        res.writeHead(200, headers);
        res.end(body.buffer.subarray(0, body.length), () => {
          // Only once the socket is done with it; a response cut short leaves it to the collector.
          giveBackBodyBuffer(body.buffer);
          dicomwebRequestFinished('frames', req.socket, readAtStart, start, body.length);
          if (logger.isLevelEnabled('debug')) {
            logger.debug({ method: req.method, path: safePath(req.url ?? ''), status: 200, ms: Number(process.hrtime.bigint() - start) / 1e6 }, 'request');
          }
        });
      } catch {
        // Outside any promise here: a throw would reach the file read's callback, and the process.
        failed();
      }
    });
    return true;
  };

  /**
   * The decision from the read cache at once when it holds it (no promise at all then), else
   * from the database; false when Express is to answer. A throw is a refusal: Express's as well.
   */
  const answer = (req: IncomingMessage, res: ServerResponse, match: RegExpExecArray, start: bigint, readAtStart: number, failed: () => void): boolean | Promise<boolean> => {
    const raw = cookieValue(req.headers.cookie, SESSION_COOKIE);
    const remembered = raw === undefined ? undefined : cache.rememberedHash(raw);
    const tokenHash = remembered ?? sessionTokenHash(raw);
    if (!tokenHash) return false;
    const token = remembered === undefined ? { raw: raw!, hash: tokenHash } : undefined;
    const [, study, series, instance, list] = match as unknown as [string, string, string, string, string];
    const ref = { study, series, instance };
    const numbers = parseFrameList(list);
    const cached = framesFromCache(frameDeps, tokenHash, ref, numbers);
    if (cached) return send(req, res, cached, token, start, readAtStart, failed);
    return framesBySessionCookie(frameDeps, readerOf(deps, frameDeps, req), ref, numbers).then((frames) => send(req, res, frames, token, start, readAtStart, failed));
  };

  return (req, res) => {
    const match = req.method === 'GET' ? FRAME_URL.exec(req.url ?? '') : null;
    if (!match) {
      express(req, res);
      return;
    }
    const start = process.hrtime.bigint();
    const readAtStart = dicomwebRequestStarted(req.socket);
    if (!traffic.draining()) {
      traffic.inFlight.add(res);
      res.once('close', () => traffic.inFlight.delete(res));
    }
    // Refusals and failures are Express's to answer, exactly as before (nothing was written).
    const failed = (): void => {
      if (res.headersSent) res.destroy();
      else express(req, res);
    };
    let answered: boolean | Promise<boolean>;
    try {
      answered = answer(req, res, match, start, readAtStart, failed);
    } catch {
      failed();
      return;
    }
    if (answered === false) express(req, res);
    else if (answered !== true) answered.then((done) => done || express(req, res), failed);
  };
}

interface Body {
  buffer: Buffer;
  length: number;
  boundary: string;
  /** Where each frame's bytes go in `buffer`, its framing written before it. */
  at: number[];
}

/**
 * The frames' multipart framing (or none) written into one pooled buffer, with room left where
 * each frame goes; undefined when they do not fit one buffer.
 */
function layOut(stored: NonNullable<Frames['stored']>, multipart: { boundary: string; partType: string } | undefined): Body | undefined {
  const partHead = multipart ? `--${multipart.boundary}\r\nContent-Type: ${multipart.partType}\r\n\r\n` : '';
  const tail = multipart ? `\r\n--${multipart.boundary}--\r\n` : '';
  const frames = stored.ranges as Array<Array<[number, number]>>;
  let length = tail.length;
  for (let i = 0; i < frames.length; i++) {
    length += (i === 0 ? 0 : 2) + partHead.length;
    for (const range of frames[i]!) length += range[1];
  }
  if (length > POOLED_BODY_BYTES) return undefined;
  const buffer = takeBodyBuffer();
  const at: number[] = [];
  let pos = 0;
  for (let i = 0; i < frames.length; i++) {
    if (multipart) pos += buffer.write(i === 0 ? partHead : `\r\n${partHead}`, pos, 'latin1');
    at.push(pos);
    for (const range of frames[i]!) pos += range[1];
  }
  buffer.write(tail, pos, 'latin1');
  return { buffer, length, boundary: multipart?.boundary ?? '', at };
}

/**
 * Every frame read into its place in `body`, one after the other, then `done` (once, with the
 * first error if any; possibly before this returns), each the cheapest way the store offers
 * (readRangesIntoFastest: at once while it answers from memory, ADR 0146). A loop, not a
 * recursion, over the frames read at once.
 */
function readFrames(storage: Storage, stored: NonNullable<Frames['stored']>, body: Body, done: (error: Error | null) => void): void {
  const frames = stored.ranges as Array<Array<[number, number]>>;
  let i = 0;
  const next = (failure: Error | null): void => {
    let error = failure;
    for (;;) {
      if (error || i === frames.length) {
        done(error);
        return;
      }
      const k = i++;
      try {
        if (readRangesIntoFastest(storage, stored.key, frames[k]!, body.buffer, body.at[k]!, next)) continue;
      } catch (thrown) {
        error = thrown as Error;
        continue;
      }
      return;
    }
  };
  next(null);
}

/** negotiateFrames is a function of its arguments: its answers for the few Accept headers viewers send are kept (refusals are not). */
class NegotiationMemo {
  private readonly answers = new Map<string, FrameRepresentation>();
  /** The last answer and what it answered: a viewer sends the same Accept for every frame. */
  private last: { accept: string | undefined; syntax: string; count: number; answer: FrameRepresentation } | undefined;

  frames(accept: string | undefined, syntax: string, count: number): FrameRepresentation {
    const last = this.last;
    if (last !== undefined && last.accept === accept && last.syntax === syntax && last.count === count) return last.answer;
    const answer = this.lookUp(accept, syntax, count);
    this.last = { accept, syntax, count, answer };
    return answer;
  }

  private lookUp(accept: string | undefined, syntax: string, count: number): FrameRepresentation {
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
