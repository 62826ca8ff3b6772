import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput, notFound } from '../../common/errors.js';
import { isUuid } from '../../common/ids.js';
import type { Context } from '../../graphql/context.js';
import { actorOf, audit } from '../audit/audit.service.js';
import { endSessions, mailActivationLink, requireAdmin } from './auth.service.js';
import { clearFailures, locksOf, loginSubject } from './login-throttle.js';
import { resetSecondFactor, withSecondFactor } from './account/second-factor.js';
import { Session } from './session.entity.js';
import { UserToken } from './user-token.entity.js';
import { Role, User, UserStatus } from './user.entity.js';

/**
 * Administrators manage accounts (DESIGN.md, "Who uses it"): list them, lift a lock after a
 * phone call, disable the account of someone who left (every open session ends at once, in
 * this replica's WebSockets too; the others refuse its next request) and enable it again.
 * Checked here, whatever the edge; each change audited with the administrator as actor.
 */

const MAX_LISTED = 500;

/** An account and the latest lock failed logins keep on it (from any client: ADR 0096). */
export interface AccountState {
  user: User;
  lockedUntil: Date | null;
  secondFactor: boolean;
}

async function withLocks(ctx: Context, users: User[]): Promise<AccountState[]> {
  const subjects = await Promise.all(users.map((u) => loginSubject(ctx.deps, u.email)));
  const locks = await locksOf(ctx.em, subjects);
  const enrolled = await withSecondFactor(ctx.em, users.map((u) => u.id));
  return users.map((user, i) => ({ user, lockedUntil: locks.get(subjects[i]!) ?? null, secondFactor: enrolled.has(user.id) }));
}

/** Accounts by last name, filtered by role and by a part of a name, an e-mail or an RPPS. */
export async function listUsers(ctx: Context, filter: { role?: Role | null; search?: string | null }): Promise<AccountState[]> {
  requireAdmin(ctx.viewer);
  const search = filter.search?.trim() ?? '';
  if (search.length > 100) throw badInput('Search at most 100 characters', 'search');
  const like = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const users = await ctx.em.find(
    User,
    {
      ...(filter.role ? { role: filter.role } : {}),
      ...(search ? { $or: [{ email: { $ilike: like } }, { lastName: { $ilike: like } }, { firstName: { $ilike: like } }, { rpps: { $ilike: like } }] } : {}),
    },
    { orderBy: { lastName: 'asc', firstName: 'asc' }, limit: MAX_LISTED },
  );
  return withLocks(ctx, users);
}

/** The account, its row locked for the rest of the transaction `tx`. */
async function lockedTarget(tx: EntityManager, id: string): Promise<User> {
  const user = isUuid(id) ? await tx.findOne(User, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE }) : null;
  if (!user) throw notFound('Account');
  return user;
}

/** Lifts every lock on the account, whichever client failed (ADR 0096). */
export async function unlockUser(ctx: Context, id: string): Promise<AccountState> {
  requireAdmin(ctx.viewer);
  const user = await ctx.em.transactional(async (tx) => {
    const target = await lockedTarget(tx as EntityManager, id);
    const subject = await loginSubject(ctx.deps, target.email);
    if (!(await locksOf(tx as EntityManager, [subject])).has(subject)) throw badInput('This account is not locked');
    await clearFailures(tx as EntityManager, subject);
    audit(tx, 'ACCOUNT_UNLOCKED', { ...actorOf(ctx), targetUserId: target.id });
    return target;
  });
  return (await withLocks(ctx, [user]))[0]!;
}

export async function disableUser(ctx: Context, id: string): Promise<AccountState> {
  const admin = requireAdmin(ctx.viewer);
  const { user, ended } = await ctx.em.transactional(async (tx) => {
    const target = await lockedTarget(tx as EntityManager, id);
    // Compared once the row is found: an id in capitals names the same account.
    if (target.id === admin.id) throw badInput('You cannot disable your own account');
    if (target.status === UserStatus.DISABLED) throw badInput('This account is already disabled');
    if (target.role === Role.ADMIN) {
      // Every active administrator's row locked: two administrators disabling each other at the
      // same moment cannot leave nobody to administer the portal.
      const admins = await tx.find(User, { role: Role.ADMIN, status: UserStatus.ACTIVE }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (admins.filter((a) => a.id !== target.id).length === 0) throw badInput('The last active administrator cannot be disabled');
    }
    target.status = UserStatus.DISABLED;
    const open = await tx.find(Session, { user: target, revokedAt: null });
    for (const s of open) s.revokedAt = new Date();
    // Activation and reset links already sent open nothing any more.
    await tx.nativeUpdate(UserToken, { user: target.id, usedAt: null }, { usedAt: new Date() });
    audit(tx, 'ACCOUNT_DISABLED', { ...actorOf(ctx), targetUserId: target.id });
    return { user: target, ended: open.map((s) => s.id) };
  });
  endSessions(ended);
  return (await withLocks(ctx, [user]))[0]!;
}

/**
 * Back to active; or, when the person never set a password, back to waiting for activation
 * with a new activation link by e-mail (the links sent before were cancelled by the disable).
 */
export async function enableUser(ctx: Context, id: string): Promise<AccountState> {
  requireAdmin(ctx.viewer);
  const user = await ctx.em.transactional(async (tx) => {
    const target = await lockedTarget(tx as EntityManager, id);
    if (target.status !== UserStatus.DISABLED) throw badInput('This account is not disabled');
    target.status = target.activatedAt ? UserStatus.ACTIVE : UserStatus.PENDING_ACTIVATION;
    await clearFailures(tx as EntityManager, await loginSubject(ctx.deps, target.email));
    if (!target.activatedAt) await mailActivationLink(tx as EntityManager, ctx.deps.config, target);
    audit(tx, 'ACCOUNT_ENABLED', { ...actorOf(ctx), targetUserId: target.id });
    return target;
  });
  ctx.deps.outbox.wake();
  return (await withLocks(ctx, [user]))[0]!;
}

/** Administrators: the person's second factors and recovery codes go; they are told by e-mail (ADR 0127). */
export async function resetUserSecondFactor(ctx: Context, id: string): Promise<AccountState> {
  const user = await resetSecondFactor(ctx, id);
  return (await withLocks(ctx, [user]))[0]!;
}
