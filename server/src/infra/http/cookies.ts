import type { Response } from 'express';
import type { Config } from '../../config.js';
import { cookiesAreSecure } from '../../config.js';
import type { CookieWriter } from '../../graphql/context.js';

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    if (k && !(k in out)) {
      try {
        out[k] = decodeURIComponent(v);
      } catch {
        out[k] = v;
      }
    }
  }
  return out;
}

/** HttpOnly, SameSite=Lax, Secure outside a loopback HTTP URL. */
export function cookieWriter(res: Response | null, config: Config): CookieWriter {
  // Worked out when a cookie is written (parsing PUBLIC_URL), not on every request.
  const base = () => ({ httpOnly: true, sameSite: 'lax' as const, secure: cookiesAreSecure(config) });
  return {
    set(name, value, opts) {
      res?.cookie(name, value, {
        ...base(),
        path: opts.path ?? '/',
        ...(opts.maxAgeSeconds !== undefined ? { maxAge: opts.maxAgeSeconds * 1000 } : {}),
      });
    },
    clear(name, opts) {
      res?.clearCookie(name, { ...base(), path: opts?.path ?? '/' });
    },
  };
}
