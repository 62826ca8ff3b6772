import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { safePath } from '../logger.js';

/** What the fast paths and Express's stack share about the server's traffic (ADR 0112/0116). */
export interface Traffic {
  /** Draining (ADR 0112): each answer closes its connection. */
  draining(): boolean;
  /** Responses in flight, so that a drain starting meanwhile can mark them. */
  inFlight: Set<ServerResponse>;
}

/**
 * In-flight tracking and the request log (5xx, or every request at debug level) for one request,
 * with one 'close' listener: Express's stack (app.ts), GraphQL's and the retrieve's fast paths. The answer
 * is tracked unless the server is draining (ADR 0112: a drain marks those in flight); 'close'
 * follows 'finish' at once for an answer sent in full, and only such an answer is logged and
 * handed to `finished` (an answer cut short is not, as before). It returns what undoes it, for a
 * fast path that hands a request it has not answered on to Express (which tracks it itself).
 */
export function trackRequest(
  req: IncomingMessage,
  res: ServerResponse,
  traffic: Traffic,
  logger: Logger,
  start: bigint,
  finished?: () => void,
): () => void {
  if (!traffic.draining()) traffic.inFlight.add(res);
  const onClose = (): void => {
    traffic.inFlight.delete(res);
    if (!res.writableFinished) return;
    finished?.();
    if (res.statusCode >= 500 || logger.isLevelEnabled('debug')) {
      logger[res.statusCode >= 500 ? 'error' : 'debug'](
        { method: req.method, path: safePath((req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? ''), status: res.statusCode, ms: Number(process.hrtime.bigint() - start) / 1e6 },
        'request',
      );
    }
  };
  res.once('close', onClose);
  return () => {
    res.off('close', onClose);
    traffic.inFlight.delete(res);
  };
}
