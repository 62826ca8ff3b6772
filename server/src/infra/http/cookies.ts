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
    if (k && !(k in out)) out[k] = decoded(v);
  }
  return out;
}

/**
 * The value of one cookie, as parseCookies reads it (the first pair of that name, trimmed,
 * percent-decoded when it decodes), without decoding the others: for a hot path that needs one.
 */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i >= 0 && part.slice(0, i).trim() === name) return decoded(part.slice(i + 1).trim());
  }
  return undefined;
}

function decoded(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
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
