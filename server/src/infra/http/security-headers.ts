import type { NextFunction, Request, Response } from 'express';

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

export function securityHeaders(req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Content-Security-Policy', req.path === DECODE_WORKER_PATH ? DECODE_WORKER_CSP : CSP);
  res.setHeader('X-Frame-Options', 'SAMEORIGIN');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin-allow-popups');
  res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
  next();
}
