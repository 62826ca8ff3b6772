import type { EntityManager } from '@mikro-orm/postgresql';
import { forbidden, unauthenticated } from '../../../common/errors.js';
import { hashToken, newToken } from '../../../common/tokens.js';
import type { Context } from '../../../graphql/context.js';
import { User, UserStatus } from '../user.entity.js';

/**
 * A login whose password was right and that waits for its second factor (VERIFY) or for the
 * account to enrol one (ENROL): a random token in an HttpOnly cookie, its SHA-256 in
 * `login_challenge`. It opens nothing by itself; it lets its holder finish that one login
 * within LOGIN_CHALLENGE_MINUTES, once (ADR 0127).
 */
export const LOGIN_CHALLENGE_COOKIE = 'emage_login';
const LOGIN_CHALLENGE_MINUTES = 10;

export type ChallengePurpose = 'VERIFY' | 'ENROL';

export interface PendingLogin {
  user: User;
  purpose: ChallengePurpose;
  tokenHash: string;
}

export async function issueLoginChallenge(ctx: Context, userId: string, purpose: ChallengePurpose): Promise<void> {
  const token = newToken();
  // One pending login per account at a time is enough, and keeps the table small.
  await ctx.em.execute(`delete from login_challenge where user_id = ? or expires_at < now()`, [userId]);
  await ctx.em.execute(
    `insert into login_challenge (token_hash, user_id, purpose, expires_at) values (?, ?, ?, now() + (? || ' minutes')::interval)`,
    [hashToken(token), userId, purpose, String(LOGIN_CHALLENGE_MINUTES)],
  );
  ctx.cookies.set(LOGIN_CHALLENGE_COOKIE, token, { maxAgeSeconds: LOGIN_CHALLENGE_MINUTES * 60 });
}

/** The login this request's cookie holds, still valid, or null. */
export async function pendingLogin(ctx: Context): Promise<PendingLogin | null> {
  const token = ctx.request.cookies?.[LOGIN_CHALLENGE_COOKIE];
  if (!token || token.length > 200) return null;
  const tokenHash = hashToken(token);
  const rows = await ctx.em.execute<{ user_id: string; purpose: ChallengePurpose }[]>(
    `select user_id, purpose from login_challenge where token_hash = ? and used_at is null and expires_at > now()`,
    [tokenHash],
  );
  const row = rows[0];
  if (!row) return null;
  const user = await ctx.em.findOne(User, { id: row.user_id, status: UserStatus.ACTIVE });
  return user ? { user, purpose: row.purpose, tokenHash } : null;
}

/**
 * The pending login of `purpose`, for a caller without a session: anonymous without one is
 * UNAUTHENTICATED, any other kind of caller (a share grant, an API key) FORBIDDEN.
 */
export async function requirePendingLogin(ctx: Context, purpose: ChallengePurpose): Promise<PendingLogin> {
  if (ctx.viewer.kind !== 'anonymous' && ctx.viewer.kind !== 'user') throw forbidden();
  const pending = await pendingLogin(ctx);
  if (!pending || pending.purpose !== purpose) throw unauthenticated();
  return pending;
}

/** Marks the pending login used: of two concurrent completions, one wins. */
export async function consumeLoginChallenge(em: EntityManager, tokenHash: string): Promise<boolean> {
  const rows = await em.execute<unknown[]>(
    `update login_challenge set used_at = now() where token_hash = ? and used_at is null and expires_at > now() returning 1`,
    [tokenHash],
  );
  return rows.length > 0;
}
