import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError, ErrorCode, badInput, notFound, unauthenticated } from '../../../common/errors.js';
import { isUuid } from '../../../common/ids.js';
import { consumeRateLimit } from '../../../common/rate-limit.js';
import type { Context } from '../../../graphql/context.js';
import { enqueueMail } from '../../../infra/mail/outbox.js';
import { actorOf, audit } from '../../audit/audit.service.js';
import { endSessions } from '../auth.service.js';
import { checkPasswordPolicy, hashPassword, verifyPassword } from '../password.js';
import { Session } from '../session.entity.js';
import type { User } from '../user.entity.js';
import type { SecurityChange } from './security.mail.js';
import { deviceOf } from './user-agent.js';
import './security.mail.js';

/**
 * « Mon compte » (issue 20): a signed-in person changes their password, sees the sessions open
 * on their account and ends any other one. Everything here acts on the caller's own account
 * only, whatever id is sent: another account's session is "not found".
 */

export function requireUser(ctx: Context): { user: User; session: Session } {
  if (ctx.viewer.kind !== 'user') throw unauthenticated();
  return ctx.viewer;
}

export interface ActiveSession {
  id: string;
  device: string;
  ip: string | null;
  createdAt: Date;
  lastSeenAt: Date;
  current: boolean;
}

/** The caller's sessions still valid, the most recently active first. */
export async function mySessions(ctx: Context): Promise<ActiveSession[]> {
  const { user, session } = requireUser(ctx);
  const now = new Date();
  const open = await ctx.em.find(
    Session,
    { user: user.id, revokedAt: null, idleExpiresAt: { $gt: now }, absoluteExpiresAt: { $gt: now } },
    { orderBy: { lastSeenAt: 'desc' }, limit: 100 },
  );
  return open.map((s) => ({
    id: s.id,
    device: deviceOf(s.userAgent),
    ip: s.ip ?? null,
    createdAt: s.createdAt,
    lastSeenAt: s.lastSeenAt,
    current: s.id === session.id,
  }));
}

/**
 * Ends one of the caller's other sessions: that browser's next request is refused, its open
 * sockets close at once in this replica (the others' sweep finds it within seconds).
 */
export async function endMySession(ctx: Context, id: string): Promise<boolean> {
  const { user, session } = requireUser(ctx);
  if (!isUuid(id)) throw notFound('Session');
  if (id.toLowerCase() === session.id) throw badInput('This is the current session: log out instead', 'id');
  const ended = await ctx.em.nativeUpdate(Session, { id: id.toLowerCase(), user: user.id, revokedAt: null }, { revokedAt: new Date() });
  if (ended === 0) throw notFound('Session');
  audit(ctx.em, 'SESSION_ENDED', { ...actorOf(ctx), targetUserId: user.id });
  await ctx.em.flush();
  endSessions([id.toLowerCase()]);
  return true;
}

/** Ends every open session of `user` but `keep` (in `tx`); returns their ids for endSessions. */
export async function endOtherSessions(tx: EntityManager, userId: string, keep: string | null): Promise<string[]> {
  const rows = await tx.execute<{ id: string }[]>(
    `update session set revoked_at = now() where user_id = ? and revoked_at is null ${keep ? 'and id <> ?' : ''} returning id`,
    keep ? [userId, keep] : [userId],
  );
  return rows.map((r) => r.id);
}

/** Queues the owner's "this changed on your account" e-mail in `tx` (wake the outbox after). */
export async function mailSecurityChange(tx: EntityManager, user: User, change: SecurityChange, key: string): Promise<void> {
  await enqueueMail(tx, {
    to: user.email,
    template: 'auth.security-change',
    payload: { change },
    idempotencyKey: `security-change:${change}:${key}`,
    locale: user.locale,
  });
}

/**
 * The current password proves it is the person, not someone at their unlocked screen. A wrong
 * one is refused like a wrong login (INVALID_CREDENTIALS), and limited per account.
 */
export async function checkCurrentPassword(ctx: Context, user: User, password: string): Promise<void> {
  await consumeRateLimit(ctx.em, ctx.deps.config, `reauth:user:${user.id}`, 10, 3600);
  const ok = !!user.passwordHash && !!password && password.length <= 1024 && (await verifyPassword(user.passwordHash, password));
  if (!ok) throw new AppError(ErrorCode.INVALID_CREDENTIALS, 'The current password is wrong', { field: 'currentPassword' });
}

/** A new password: the current one required; every other session ends; the owner is told by e-mail. */
export async function changePassword(ctx: Context, currentPassword: string, newPassword: string): Promise<boolean> {
  const { user, session } = requireUser(ctx);
  await checkCurrentPassword(ctx, user, currentPassword);
  checkPasswordPolicy(newPassword, { email: user.email });
  if (await verifyPassword(user.passwordHash!, newPassword)) throw badInput('The new password is the current one', 'newPassword');
  const hash = await hashPassword(newPassword);
  const ended = await ctx.em.transactional(async (tx) => {
    await tx.execute(`update app_user set password_hash = ? where id = ?`, [hash, user.id]);
    const others = await endOtherSessions(tx as EntityManager, user.id, session.id);
    audit(tx, 'PASSWORD_CHANGED', { ...actorOf(ctx), targetUserId: user.id, outcome: `${others.length} other sessions ended` });
    await mailSecurityChange(tx as EntityManager, user, 'PASSWORD_CHANGED', `${user.id}:${Date.now()}`);
    return others;
  });
  user.passwordHash = hash;
  endSessions(ended);
  ctx.deps.outbox.wake();
  return true;
}
