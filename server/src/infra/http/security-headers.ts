import type { NextFunction, Request, Response } from 'express';
import type { Config } from '../../config.js';

/**
 * No inline scripts anywhere (the clients are built bundles); workers only from our own files;
 * frames only from ourselves.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-src 'self'",
  "frame-ancestors 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/**
 * The viewer's image decode worker, and nothing else, may evaluate code: its wasm codecs
 * (Emscripten embind) build functions with `new Function`. A worker started from a URL gets the
 * policy of its own response, so the pages keep theirs (docs/adr/0081-viewer-decode-worker-csp.md).
 */
const DECODE_WORKER_PATH = '/viewer/decode-worker.js';
// The worker loads its codecs (importScripts) and their .wasm (fetch) from /viewer/ on first use.
const DECODE_WORKER_CSP = "default-src 'none'; script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval'; connect-src 'self'";

/**
 * Behind an https PUBLIC_URL, browsers are told to use HTTPS only for a year (subdomains of the
 * portal's host included), so a first visit typed without https:// or a downgrade on a hostile
 * network never sends the session cookie in clear. Never on HTTP: a developer's localhost would
 * be pinned to HTTPS.
 */
const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * The headers every answer carries, as name/value pairs in the order they are set, for a path
 * that is not the decode worker: what the middleware below sets, for a handler that answers
 * before Express (the frame fast path, dicomweb/frame-fast-path.ts).
 */
export function securityHeaderPairs(config: Pick<Config, 'publicUrl'>): ReadonlyArray<readonly [string, string]> {
  return [
    ['Content-Security-Policy', CSP],
    ['X-Frame-Options', 'SAMEORIGIN'],
    ['X-Content-Type-Options', 'nosniff'],
    ['Referrer-Policy', 'same-origin'],
    ['Cross-Origin-Opener-Policy', 'same-origin-allow-popups'],
    ['Permissions-Policy', 'camera=(), microphone=(), geolocation=()'],
    ...(config.publicUrl.startsWith('https://') ? [['Strict-Transport-Security', HSTS] as const] : []),
  ];
}

export function securityHeaders(config: Pick<Config, 'publicUrl'>): (req: Request, res: Response, next: NextFunction) => void {
  const pairs = securityHeaderPairs(config);
  return (req, res, next) => {
    for (const [name, value] of pairs) res.setHeader(name, value);
    if (req.path === DECODE_WORKER_PATH) res.setHeader('Content-Security-Policy', DECODE_WORKER_CSP);
    next();
  };
}
