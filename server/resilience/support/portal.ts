import { randomBytes } from 'node:crypto';
import { finessWithCheckDigit } from '../../src/common/identifiers.js';
import { cli } from './built-server.js';

/** What a client of the running portal does, over HTTP only. */

export async function createUser(dbUrl: string, u: { email: string; role: 'PHYSICIAN' | 'ANALYST' | 'ADMIN'; rpps?: string; password: string; firstName?: string; lastName?: string }): Promise<void> {
  const args = ['user', 'create', '--email', u.email, '--role', u.role, '--first-name', u.firstName ?? 'Test', '--last-name', u.lastName ?? 'Resilience', '--password', u.password];
  if (u.rpps) args.push('--rpps', u.rpps);
  const r = await cli(args, { DATABASE_URL: dbUrl });
  if (r.code !== 0) throw new Error(`user create failed: ${r.stderr}${r.stdout}`);
}

/** A new facility with a random valid FINESS; returns its API key. */
export async function createFacilityKey(dbUrl: string): Promise<string> {
  const finess = finessWithCheckDigit(`54${String(randomBytes(4).readUInt32BE() % 1_000_000).padStart(6, '0')}`);
  const r = await cli(['facility', 'create', '--name', `Centre ${finess}`, '--finess', finess], { DATABASE_URL: dbUrl });
  const key = /API key[^:]*:\s*(\S+)/.exec(r.stdout)?.[1];
  if (r.code !== 0 || !key) throw new Error(`facility create failed: ${r.stderr}${r.stdout}`);
  return key;
}

export interface GqlResult<T> {
  status: number;
  body: { data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  headers: Headers;
}

export async function gql<T = unknown>(baseUrl: string, query: string, variables?: object, cookie?: string, extraHeaders: Record<string, string> = {}): Promise<GqlResult<T>> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}), ...extraHeaders },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let body: GqlResult<T>['body'];
  try {
    body = JSON.parse(text) as GqlResult<T>['body'];
  } catch {
    body = { errors: [{ message: text.slice(0, 200) }] };
  }
  return { status: res.status, body, headers: res.headers };
}

/** Logs in and returns the Cookie header to send with later requests. */
export async function login(baseUrl: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { id } }', variables: { e: email, p: password } }),
  });
  const body = (await res.json()) as { errors?: unknown[] };
  if (body.errors) throw new Error(`login failed: ${JSON.stringify(body.errors)}`);
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  if (!cookie) throw new Error('login set no cookie');
  return cookie;
}
