import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import QRCode from 'qrcode';
import { AppError, ErrorCode, badInput, notFound } from '../../../common/errors.js';
import { isUuid } from '../../../common/ids.js';
import { consumeRateLimit } from '../../../common/rate-limit.js';
import { newToken } from '../../../common/tokens.js';
import type { Config } from '../../../config.js';
import type { Context } from '../../../graphql/context.js';
import { loginFailures, loginLocks } from '../../../infra/metrics/metrics.js';
import { actorOf, audit } from '../../audit/audit.service.js';
import { accountLocked, openSession, requireAdmin, type ResolvedSession } from '../auth.service.js';
import { DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE_SECONDS, LoginThrottle } from '../login-throttle.js';
import { Role, User } from '../user.entity.js';
import { LOGIN_CHALLENGE_COOKIE, consumeLoginChallenge, issueLoginChallenge, requirePendingLogin, type PendingLogin } from './login-challenge.js';
import { checkCurrentPassword, mailSecurityChange, requireUser } from './self-service.js';
import { base32Encode, matchTotp, newTotpSecret, otpauthUri } from './totp.js';

/**
 * Second factors of password accounts (issue 20, ADR 0127): TOTP apps and passkeys, with ten
 * single-use recovery codes. Administrators and analysts must have one; physicians must when
 * MFA_PHYSICIANS=required. A login whose password is right then waits for the second factor,
 * and wrong codes count toward the same lockout as wrong passwords (ADR 0096).
 */

export type FactorKind = 'TOTP' | 'PASSKEY';

export interface FactorRow {
  id: string;
  user_id: string;
  kind: FactorKind;
  label: string;
  created_at: Date;
  confirmed_at: Date | null;
  last_used_at: Date | null;
  totp_secret: string | null;
  totp_last_step: string | null;
  credential_id: string | null;
  public_key: string | null;
  sign_count: string | null;
  transports: string | null;
}

export const RECOVERY_CODE_COUNT = 10;
const TOTP_ISSUER = 'e-mage';

export function secondFactorRequired(config: Config, role: Role): boolean {
  return role === Role.PHYSICIAN ? config.mfaPhysicians === 'required' : config.mfaStaff === 'required';
}

export async function confirmedFactors(em: EntityManager, userId: string): Promise<FactorRow[]> {
  return em.execute<FactorRow[]>(`select * from second_factor where user_id = ? and confirmed_at is not null order by created_at`, [userId]);
}

/**
 * Called by login once the password is right: when the account has a second factor, or must
 * enrol one, the login stops here. The attempt is no failure (its reservation is released) but
 * nothing is trusted yet; a cookie holds the pending login and the error tells the page which
 * step comes next.
 */
export async function secondFactorGate(ctx: Context, throttle: LoginThrottle, userId: string): Promise<void> {
  const factors = await confirmedFactors(ctx.em, userId);
  let purpose: 'VERIFY' | 'ENROL' = 'VERIFY';
  if (factors.length === 0) {
    const { role } = await ctx.em.findOneOrFail(User, { id: userId }, { fields: ['role'] });
    if (!secondFactorRequired(ctx.deps.config, role)) return;
    purpose = 'ENROL';
  }
  await throttle.release();
  await issueLoginChallenge(ctx, userId, purpose);
  if (purpose === 'VERIFY') {
    throw new AppError(ErrorCode.SECOND_FACTOR_REQUIRED, 'Enter the code of your second factor', {
      methods: [...new Set(factors.map((f) => f.kind))],
    });
  }
  throw new AppError(ErrorCode.SECOND_FACTOR_ENROLMENT_REQUIRED, 'Your account must enrol a second factor before anything else');
}

/**
 * Ends a pending login: the session opens, the browser becomes one the account logged in from,
 * its failures are forgotten. `how` goes to the trail (TOTP, RECOVERY_CODE, PASSKEY, ENROLMENT).
 */
export async function completeLogin(ctx: Context, pending: PendingLogin, throttle: LoginThrottle, how: string): Promise<ResolvedSession> {
  if (!(await consumeLoginChallenge(ctx.em, pending.tokenHash))) throw new AppError(ErrorCode.UNAUTHENTICATED, 'This login has expired: log in again');
  const device = ctx.request.cookies?.[DEVICE_COOKIE];
  const deviceToken = throttle.knownDevice && device ? device : newToken();
  await throttle.succeeded(deviceToken);
  ctx.cookies.set(DEVICE_COOKIE, deviceToken, { maxAgeSeconds: DEVICE_COOKIE_MAX_AGE_SECONDS });
  ctx.cookies.clear(LOGIN_CHALLENGE_COOKIE);
  const session = await openSession(ctx, pending.user);
  audit(ctx.em, 'LOGIN_SUCCEEDED', { ...actorOf(ctx), actorKind: 'USER', actorUserId: pending.user.id, outcome: how });
  await ctx.em.flush();
  return { user: pending.user, session };
}

export async function throttleFor(ctx: Context, user: User): Promise<LoginThrottle> {
  return LoginThrottle.for(ctx.em, ctx.deps, user.email, { ip: ctx.request.ip, device: ctx.request.cookies?.[DEVICE_COOKIE] });
}

/**
 * Counts a second-factor attempt like a password attempt, before checking it; runs `check`
 * only when no lock holds. A wrong answer is a failure toward the lockout.
 */
export async function throttledAttempt(ctx: Context, pending: PendingLogin, check: () => Promise<string | null>): Promise<ResolvedSession> {
  const throttle = await throttleFor(ctx, pending.user);
  const reservation = await throttle.reserve();
  if (!reservation.allowed) {
    audit(ctx.em, 'LOGIN_FAILED', { ...actorOf(ctx), targetUserId: pending.user.id, outcome: 'LOCKED' });
    await ctx.em.flush();
    loginFailures.inc({ reason: 'locked' });
    throw accountLocked(reservation.lock);
  }
  const how = await check();
  if (!how) {
    const { lock } = reservation;
    audit(ctx.em, lock ? 'ACCOUNT_LOCKED' : 'LOGIN_FAILED', { ...actorOf(ctx), targetUserId: pending.user.id, outcome: 'WRONG_SECOND_FACTOR' });
    await ctx.em.flush();
    loginFailures.inc({ reason: 'bad_credentials' });
    if (lock) {
      loginLocks.inc({ scope: lock.scope });
      throw accountLocked(lock);
    }
    throw new AppError(ErrorCode.INVALID_SECOND_FACTOR, 'Wrong code', { remainingAttempts: reservation.remainingAttempts });
  }
  return completeLogin(ctx, pending, throttle, how);
}

/** The login's second step with a code: the authenticator app's 6 digits, or a recovery code. */
export async function verifySecondFactor(ctx: Context, code: string): Promise<ResolvedSession> {
  const pending = await requirePendingLogin(ctx, 'VERIFY');
  const input = (code ?? '').trim();
  return throttledAttempt(ctx, pending, async () => {
    if (input.length > 64) return null;
    if (/^\d{6}$/.test(input.replace(/\s/g, ''))) return (await useTotp(ctx.em, pending.user.id, input.replace(/\s/g, ''))) ? 'TOTP' : null;
    return (await useRecoveryCode(ctx.em, pending.user.id, input)) ? 'RECOVERY_CODE' : null;
  });
}

/**
 * A TOTP code of one of the account's apps, accepted once: the step it belongs to must come
 * after the last one accepted, so a code seen over a shoulder cannot be used again.
 */
async function useTotp(em: EntityManager, userId: string, code: string): Promise<boolean> {
  const factors = (await confirmedFactors(em, userId)).filter((f) => f.kind === 'TOTP' && f.totp_secret);
  for (const f of factors) {
    const step = matchTotp(f.totp_secret!, code, Date.now());
    if (step === null) continue;
    const rows = await em.execute<unknown[]>(
      `update second_factor set totp_last_step = ?, last_used_at = now()
        where id = ? and (totp_last_step is null or totp_last_step < ?) returning 1`,
      [String(step), f.id, String(step)],
    );
    return rows.length > 0;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Recovery codes

/** `xxxx-xxxx-xxxx`: 60 random bits in lower-case base32, easy to read out and to type. */
function newRecoveryCode(): string {
  const raw = base32Encode(randomBytes(8)).slice(0, 12).toLowerCase();
  return `${raw.slice(0, 4)}-${raw.slice(4, 8)}-${raw.slice(8, 12)}`;
}

/** Codes are stored as SHA-256 of the account and the code, so equal codes of two accounts differ. */
function recoveryCodeHash(userId: string, code: string): string {
  const normal = code.toLowerCase().replace(/[^a-z0-9]/g, '');
  return createHash('sha256').update(`${userId}:${normal}`).digest('hex');
}

async function useRecoveryCode(em: EntityManager, userId: string, code: string): Promise<boolean> {
  const rows = await em.execute<unknown[]>(
    `update recovery_code set used_at = now() where user_id = ? and code_hash = ? and used_at is null returning 1`,
    [userId, recoveryCodeHash(userId, code)],
  );
  return rows.length > 0;
}

/** Ten new codes replace any the account had; returned once, never stored in clear. */
async function issueRecoveryCodes(em: EntityManager, userId: string): Promise<string[]> {
  await em.execute(`delete from recovery_code where user_id = ?`, [userId]);
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  for (const code of codes) {
    await em.execute(`insert into recovery_code (id, user_id, code_hash) values (?, ?, ?)`, [randomUUID(), userId, recoveryCodeHash(userId, code)]);
  }
  return codes;
}

async function recoveryCodesLeft(em: EntityManager, userId: string): Promise<number> {
  const [row] = await em.execute<{ n: string }[]>(`select count(*) as n from recovery_code where user_id = ? and used_at is null`, [userId]);
  return Number(row?.n ?? 0);
}

export async function regenerateRecoveryCodes(ctx: Context, password: string): Promise<string[]> {
  const { user } = requireUser(ctx);
  await checkCurrentPassword(ctx, user, password);
  if ((await confirmedFactors(ctx.em, user.id)).length === 0) throw badInput('Enrol a second factor first');
  const codes = await ctx.em.transactional(async (tx) => {
    const issued = await issueRecoveryCodes(tx as EntityManager, user.id);
    audit(tx, 'RECOVERY_CODES_GENERATED', { ...actorOf(ctx), targetUserId: user.id });
    await mailSecurityChange(tx as EntityManager, user, 'RECOVERY_CODES_GENERATED', `${user.id}:${Date.now()}`);
    return issued;
  });
  ctx.deps.outbox.wake();
  return codes;
}

// ---------------------------------------------------------------------------------------------
// Enrolment

/** Who enrols: the signed-in person (« Mon compte »), or a login held until its account enrols. */
export async function enrolee(ctx: Context): Promise<{ user: User; pending: PendingLogin | null }> {
  if (ctx.viewer.kind === 'user') return { user: ctx.viewer.user, pending: null };
  const pending = await requirePendingLogin(ctx, 'ENROL');
  return { user: pending.user, pending };
}

export interface TotpEnrolment {
  secret: string;
  otpauthUri: string;
  qrCodeDataUrl: string;
}

/** A new secret for an authenticator app, not in use until a code from the app confirms it. */
export async function startTotpEnrolment(ctx: Context): Promise<TotpEnrolment> {
  const { user } = await enrolee(ctx);
  if ((await confirmedFactors(ctx.em, user.id)).some((f) => f.kind === 'TOTP')) {
    throw badInput('An authenticator app is already enrolled: remove it first');
  }
  await consumeRateLimit(ctx.em, ctx.deps.config, `totp-enrol:user:${user.id}`, 20, 3600);
  const secret = newTotpSecret();
  await ctx.em.execute(`delete from second_factor where user_id = ? and kind = 'TOTP' and confirmed_at is null`, [user.id]);
  await ctx.em.execute(`insert into second_factor (id, user_id, kind, label, totp_secret) values (?, ?, 'TOTP', ?, ?)`, [
    randomUUID(), user.id, 'Application d’authentification', secret,
  ]);
  const uri = otpauthUri(secret, user.email, TOTP_ISSUER);
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { secret, otpauthUri: uri, qrCodeDataUrl: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}` };
}

export interface EnrolmentResult {
  /** Ten new codes when the account had none left, shown once; otherwise empty. */
  recoveryCodes: string[];
  /** The session a held login opened by enrolling; null from « Mon compte ». */
  session: ResolvedSession | null;
}

/**
 * The factor just added: recovery codes when the account has none, the owner told by e-mail,
 * the trail written; a login held for enrolment opens its session.
 */
export async function factorAdded(ctx: Context, user: User, pending: PendingLogin | null, kind: FactorKind): Promise<EnrolmentResult> {
  const codes = (await recoveryCodesLeft(ctx.em, user.id)) === 0 ? await issueRecoveryCodes(ctx.em, user.id) : [];
  audit(ctx.em, 'SECOND_FACTOR_ADDED', { ...actorOf(ctx), actorKind: 'USER', actorUserId: user.id, targetUserId: user.id, outcome: kind });
  await mailSecurityChange(ctx.em, user, kind === 'TOTP' ? 'TOTP_ADDED' : 'PASSKEY_ADDED', `${user.id}:${Date.now()}`);
  await ctx.em.flush();
  ctx.deps.outbox.wake();
  const session = pending ? await completeLogin(ctx, pending, await throttleFor(ctx, user), 'ENROLMENT') : null;
  return { recoveryCodes: codes, session };
}

export async function confirmTotpEnrolment(ctx: Context, code: string): Promise<EnrolmentResult> {
  const { user, pending } = await enrolee(ctx);
  await consumeRateLimit(ctx.em, ctx.deps.config, `totp-confirm:user:${user.id}`, 20, 3600);
  const [factor] = await ctx.em.execute<FactorRow[]>(
    `select * from second_factor where user_id = ? and kind = 'TOTP' and confirmed_at is null order by created_at desc limit 1`,
    [user.id],
  );
  if (!factor?.totp_secret) throw badInput('Start the enrolment again');
  const step = matchTotp(factor.totp_secret, (code ?? '').replace(/\s/g, ''), Date.now());
  if (step === null) throw new AppError(ErrorCode.INVALID_SECOND_FACTOR, 'Wrong code', { field: 'code' });
  // The confirming code is used: it cannot open a login afterwards.
  await ctx.em.execute(`update second_factor set confirmed_at = now(), totp_last_step = ? where id = ?`, [String(step), factor.id]);
  return factorAdded(ctx, user, pending, 'TOTP');
}

// ---------------------------------------------------------------------------------------------
// « Mon compte » and administrators

export interface AccountSecurityState {
  factors: FactorRow[];
  recoveryCodesLeft: number;
  required: boolean;
}

export async function accountSecurity(ctx: Context): Promise<AccountSecurityState> {
  const { user } = requireUser(ctx);
  return {
    factors: await confirmedFactors(ctx.em, user.id),
    recoveryCodesLeft: await recoveryCodesLeft(ctx.em, user.id),
    required: secondFactorRequired(ctx.deps.config, user.role),
  };
}

/** Removing a factor asks for the password again; the last one goes only where none is required. */
export async function removeSecondFactor(ctx: Context, id: string, password: string): Promise<boolean> {
  const { user } = requireUser(ctx);
  await checkCurrentPassword(ctx, user, password);
  const factors = await confirmedFactors(ctx.em, user.id);
  const factor = isUuid(id) ? factors.find((f) => f.id === id.toLowerCase()) : undefined;
  if (!factor) throw notFound('Second factor');
  if (factors.length === 1 && secondFactorRequired(ctx.deps.config, user.role)) {
    throw badInput('Your role requires a second factor: enrol another one before removing this one');
  }
  await ctx.em.transactional(async (tx) => {
    await tx.execute(`delete from second_factor where id = ? and user_id = ?`, [factor.id, user.id]);
    if (factors.length === 1) await tx.execute(`delete from recovery_code where user_id = ?`, [user.id]);
    audit(tx, 'SECOND_FACTOR_REMOVED', { ...actorOf(ctx), targetUserId: user.id, outcome: factor.kind });
    await mailSecurityChange(tx as EntityManager, user, 'SECOND_FACTOR_REMOVED', `${factor.id}`);
  });
  ctx.deps.outbox.wake();
  return true;
}

/**
 * Administrators: a person who lost their phone and their codes gets in again with their
 * password alone, then enrols anew where their role requires it. Told by e-mail.
 */
export async function resetSecondFactor(ctx: Context, userId: string): Promise<User> {
  const admin = requireAdmin(ctx.viewer);
  const target = isUuid(userId) ? await ctx.em.findOne(User, { id: userId.toLowerCase() }) : null;
  if (!target) throw notFound('Account');
  if (target.id === admin.id) throw badInput('Manage your own second factor from « Mon compte »');
  await ctx.em.transactional(async (tx) => {
    const removed = await tx.execute<unknown[]>(`delete from second_factor where user_id = ? returning 1`, [target.id]);
    if (removed.length === 0) throw badInput('This account has no second factor');
    await tx.execute(`delete from recovery_code where user_id = ?`, [target.id]);
    audit(tx, 'SECOND_FACTOR_RESET', { ...actorOf(ctx), targetUserId: target.id });
    await mailSecurityChange(tx as EntityManager, target, 'SECOND_FACTOR_RESET', `${target.id}:${Date.now()}`);
  });
  ctx.deps.outbox.wake();
  return target;
}

/** Whether each account has a second factor (administrators' list). */
export async function withSecondFactor(em: EntityManager, userIds: string[]): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const rows = await em.execute<{ user_id: string }[]>(
    `select distinct user_id from second_factor where confirmed_at is not null and user_id in (${userIds.map(() => '?').join(', ')})`,
    userIds,
  );
  return new Set(rows.map((r) => r.user_id));
}
