import type { ServerResponse } from 'node:http';
import { serialize } from 'cookie';
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

/**
 * HttpOnly, SameSite=Lax, Secure outside a loopback HTTP URL; each cookie appended to the
 * answer's Set-Cookie as Express's res.cookie / res.clearCookie would (the same serialisation),
 * on any Node response: Express's, or the GraphQL fast path's (graphql/graphql-fast-path.ts).
 */
export function cookieWriter(res: ServerResponse | null, config: Config): CookieWriter {
  // Worked out when a cookie is written (parsing PUBLIC_URL), not on every request.
  const base = () => ({ httpOnly: true, sameSite: 'lax' as const, secure: cookiesAreSecure(config) });
  return {
    set(name, value, opts) {
      const maxAge = opts.maxAgeSeconds === undefined ? {} : { maxAge: Math.floor(opts.maxAgeSeconds), expires: new Date(Date.now() + opts.maxAgeSeconds * 1000) };
      if (res) appendSetCookie(res, serialize(name, value, { ...base(), path: opts.path ?? '/', ...maxAge }));
    },
    clear(name, opts) {
      if (res) appendSetCookie(res, serialize(name, '', { ...base(), path: opts?.path ?? '/', expires: new Date(1) }));
    },
  };
}

function appendSetCookie(res: ServerResponse, cookie: string): void {
  const previous = res.getHeader('Set-Cookie');
  res.setHeader('Set-Cookie', previous === undefined ? [cookie] : [...(Array.isArray(previous) ? previous : [String(previous)]), cookie]);
}
