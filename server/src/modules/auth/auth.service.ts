import { LockMode, ReferenceKind } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError, ErrorCode, badInput, forbidden, notFound, unauthenticated } from '../../common/errors.js';
import { isValidRpps } from '../../common/identifiers.js';
import { isUuid } from '../../common/ids.js';
import { consumeRateLimit } from '../../common/rate-limit.js';
import { hashToken, newToken } from '../../common/tokens.js';
import type { Config } from '../../config.js';
import type { Context, Viewer } from '../../graphql/context.js';
import { PreparedStatements, type PreparedStatement } from '../../infra/db/prepared-statements.js';
import { enqueueMail } from '../../infra/mail/outbox.js';
import { loginFailures, loginLocks } from '../../infra/metrics/metrics.js';
import type { AppDeps } from '../../app-deps.js';
import { actorOf, audit, type AuditFields } from '../audit/audit.service.js';
import { AccountRequest, AccountRequestStatus } from './account-request.entity.js';
import { checkPasswordPolicy, hashPassword, verifyAgainstNothing, verifyPassword } from './password.js';
import { Session } from './session.entity.js';
import { Role, User, UserStatus } from './user.entity.js';
import { UserToken, UserTokenPurpose } from './user-token.entity.js';
import { DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE_SECONDS, LoginThrottle, clearFailures, loginSubject, type Lock } from './login-throttle.js';
import './auth.mail.js';
import { secondFactorGate } from './account/second-factor.js';
import type { SessionRow, SessionRows } from './session-rows.js';

export const SESSION_COOKIE = 'emage_session';

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;

export function normalizeEmail(email: string): string {
  const e = email.trim().toLowerCase();
  if (e.length > 254 || !EMAIL_RE.test(e)) throw badInput('Invalid e-mail address', 'email');
  return e;
}

/** `?, ?, ?` for a list bound value by value (an array binding is not a PostgreSQL array here). */
function placeholders(values: unknown[]): string {
  return values.map(() => '?').join(', ');
}

function minutes(n: number): number {
  return n * 60_000;
}

// ---------------------------------------------------------------------------------------------
// Sessions

export interface ResolvedSession {
  user: User;
  session: Session;
}

/**
 * Sessions are touched at most this often, so each request need not be a write; with a very
 * short idle timeout (tests, demos) a tenth of it, or activity would never slide the expiry.
 */
const TOUCH_INTERVAL_MS = 5_000;
function touchIntervalMs(config: Config): number {
  return Math.min(TOUCH_INTERVAL_MS, minutes(config.sessionIdleMinutes) / 10);
}

/**
 * The session behind a cookie token, or null when unknown, revoked, idle too long, past its
 * absolute lifetime, or its user is no longer active. `touch` slides the idle expiry. Its User
 * and Session are entities of `em`.
 */
export async function resolveSession(
  em: EntityManager,
  config: Config,
  token: string | undefined,
  opts: SessionCheckOptions,
): Promise<ResolvedSession | null> {
  const checked = await checkSession(em, () => em, config, token, opts);
  return checked ? checked.entities(em) : null;
}

/**
 * What a request knows of its caller from the session's one row, without entities: the
 * authorisation checks (role), the `me` query and the dashboard read nothing else. Once the
 * request's entities exist, their values (a resolver may have changed them).
 */
export interface SessionCaller {
  readonly userId: string;
  readonly role: Role;
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly rpps: string | null;
  readonly locale: string;
  readonly emailNotifications: boolean;
  readonly sessionId: string;
  /** After this request's touch, if it made one. */
  readonly idleExpiresAt: Date;
  readonly absoluteExpiresAt: Date;
}

/** A valid session: its caller, and its rows as entities when some code needs them. */
export interface CheckedSession {
  caller: SessionCaller;
  /**
   * The User and Session entities of the row, managed by `em` as if found through it, with this
   * request's touch applied (as before: the touch is written, the entity holds its values). Made
   * once; call it with the request's EntityManager only.
   */
  entities(em: EntityManager): ResolvedSession;
}

/** The prepared statements on the pool of an EntityManager's ORM, made once per ORM. */
const statementsByOrm = new WeakMap<object, PreparedStatements>();
function statementsOf(em: EntityManager): PreparedStatements {
  const key = em.getMetadata();
  let statements = statementsByOrm.get(key);
  if (!statements) statementsByOrm.set(key, (statements = new PreparedStatements(em)));
  return statements;
}

/**
 * resolveSession's check, every request: one prepared statement reads the session and its user,
 * the validity rule is applied to the row, and the touch (at most every min(5 s, idle / 10)) is
 * written through `touchEm`'s EntityManager. No entity is made until `entities()` is called, so
 * a request that needs no ORM (the `me` query) forks no EntityManager and maps no entity.
 */
export async function checkSession(
  /** Any EntityManager of the ORM (the global one will do): only its pool, metadata and platform are used. */
  base: EntityManager,
  touchEm: () => EntityManager,
  config: Config,
  token: string | undefined,
  opts: SessionCheckOptions,
): Promise<CheckedSession | null> {
  const tokenHash = sessionTokenHash(token);
  if (!tokenHash) return null;
  const found = opts.rows?.get(tokenHash) ?? (await readSessionRow(base, tokenHash, opts.rows));
  if (!found) return null;
  const { row, idleExpiresAt, absoluteExpiresAt } = found;
  const touch = opts.touch ? sessionTouch(config, found, Date.now()) : null;
  if (touch) {
    await touchSession(touchEm(), row['s.id'] as string, touch);
    opts.rows?.forget(tokenHash);
  }
  return new RowSession(row, touch, touch ? touch.idleExpiresAt : idleExpiresAt, absoluteExpiresAt);
}

export interface SessionCheckOptions {
  /** Whether this request slides the session's idle expiry (when due). */
  touch: boolean;
  /**
   * Session rows this request may reuse and keep (ADR 0142): a GraphQL request made of queries
   * only. Without it, the database is read.
   */
  rows?: SessionRows;
}

/** The session statement's row for a token hash, if its session is valid now; kept in `rows` if given. */
async function readSessionRow(base: EntityManager, tokenHash: string, rows: SessionRows | undefined): Promise<SessionRow | null> {
  const mark = rows?.mark();
  const [row] = await statementsOf(base).query<Record<string, unknown>>(sessionStatementOf(base), [tokenHash]);
  if (!row) return null;
  const now = Date.now();
  // Timestamps come as PostgreSQL prints them (the ORM's type parsing), parsed as the ORM does.
  const platform = base.getPlatform();
  const parseDate = (value: unknown): Date => platform.parseDate(value as string);
  const found: SessionRow = {
    row,
    lastSeenAt: parseDate(row['s.last_seen_at']),
    idleExpiresAt: parseDate(row['s.idle_expires_at']),
    absoluteExpiresAt: parseDate(row['s.absolute_expires_at']),
  };
  if (row['s.revoked_at'] != null || found.idleExpiresAt.getTime() <= now || found.absoluteExpiresAt.getTime() <= now) return null;
  if (row['u.status'] !== UserStatus.ACTIVE) return null;
  if (rows && mark !== undefined) rows.keep(mark, tokenHash, found);
  return found;
}

/**
 * A checked session's row. Its caller reads the row until the entities are made, then the
 * entities, which a resolver may change (an administrator's own role, preferences): whoever
 * reads the caller later in the same request sees what the entities say, as before.
 */
class RowSession implements CheckedSession {
  readonly caller: SessionCaller;
  /** Set by entities(): from then on, the caller reads them. */
  made: ResolvedSession | undefined;

  constructor(
    readonly row: Record<string, unknown>,
    private readonly touch: SessionTouch | null,
    idleExpiresAt: Date,
    absoluteExpiresAt: Date,
  ) {
    this.caller = new RowCaller(this, idleExpiresAt, absoluteExpiresAt);
  }

  entities(em: EntityManager): ResolvedSession {
    if (!this.made) {
      const session = sessionEntities(em, this.row);
      if (this.touch) Object.assign(session, this.touch);
      this.made = { user: session.user, session };
    }
    return this.made;
  }
}

/**
 * RowSession's caller: the row's values until the entities are made, theirs after. Its getters
 * are the class's, shared by every request (an object literal's would be made per request).
 */
class RowCaller implements SessionCaller {
  readonly userId: string;
  readonly sessionId: string;

  constructor(
    private readonly checked: RowSession,
    private readonly rowIdleExpiresAt: Date,
    private readonly rowAbsoluteExpiresAt: Date,
  ) {
    this.userId = checked.row['u.id'] as string;
    this.sessionId = checked.row['s.id'] as string;
  }

  get role(): Role {
    return this.checked.made?.user.role ?? (this.checked.row['u.role'] as Role);
  }
  get email(): string {
    return this.checked.made?.user.email ?? (this.checked.row['u.email'] as string);
  }
  get firstName(): string {
    return this.checked.made?.user.firstName ?? (this.checked.row['u.first_name'] as string);
  }
  get lastName(): string {
    return this.checked.made?.user.lastName ?? (this.checked.row['u.last_name'] as string);
  }
  get rpps(): string | null {
    const u = this.checked.made?.user;
    return u ? (u.rpps ?? null) : ((this.checked.row['u.rpps'] as string | null) ?? null);
  }
  get locale(): string {
    return this.checked.made?.user.locale ?? (this.checked.row['u.locale'] as string);
  }
  get emailNotifications(): boolean {
    return this.checked.made?.user.emailNotifications ?? (this.checked.row['u.email_notifications'] as boolean);
  }
  get idleExpiresAt(): Date {
    return this.checked.made?.session.idleExpiresAt ?? this.rowIdleExpiresAt;
  }
  get absoluteExpiresAt(): Date {
    return this.checked.made?.session.absoluteExpiresAt ?? this.rowAbsoluteExpiresAt;
  }
}

/**
 * The columns of an entity's table, each aliased `<alias>.<column>`, so that one row can carry
 * two entities and be split back into their raw rows.
 */
function aliasedColumns(em: EntityManager, entity: typeof Session | typeof User, alias: string): string {
  return em
    .getMetadata(entity)
    .props.filter((p) => p.persist !== false && p.fieldNames?.length && (p.kind === ReferenceKind.SCALAR || p.kind === ReferenceKind.MANY_TO_ONE))
    .flatMap((p) => p.fieldNames)
    .map((f) => `${alias}.${f} as "${alias}.${f}"`)
    .join(', ');
}

let sessionStatement: PreparedStatement | undefined;

/** The session of a token hash with its user, every column of both: one row or none. */
function sessionStatementOf(em: EntityManager): PreparedStatement {
  sessionStatement ??= {
    name: 'auth_session_by_token',
    text: `select ${aliasedColumns(em, Session, 's')}, ${aliasedColumns(em, User, 'u')}
             from session s join app_user u on u.id = s.user_id where s.token_hash = $1`,
  };
  return sessionStatement;
}

/** Rows of `row` whose column starts with `<alias>.`, without the prefix. */
function columnsOf(row: Record<string, unknown>, alias: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (k.startsWith(`${alias}.`)) out[k.slice(alias.length + 1)] = v;
  return out;
}

/**
 * The session's row as User and Session entities managed by `em`, the way em.find makes them
 * (the driver's mapping, then the entity factory, which merges them into the identity map and
 * keeps their snapshot for change tracking); em.map would also check each value's type, which
 * the database gave, and take each entity's snapshot a second time.
 */
function sessionEntities(em: EntityManager, row: Record<string, unknown>): Session {
  const driver = em.getDriver();
  const factory = em.getEntityFactory();
  const found = { merge: true, refresh: true, newEntity: false, convertCustomTypes: true } as const;
  factory.create(User, driver.mapResult(columnsOf(row, 'u'), em.getMetadata(User))!, found);
  return factory.create(Session, driver.mapResult(columnsOf(row, 's'), em.getMetadata(Session))!, found);
}

/** The hash a session cookie's token is looked up by, or null for a value no session could have. */
export function sessionTokenHash(token: string | undefined): string | null {
  return !token || token.length > 200 ? null : hashToken(token);
}

/**
 * resolveSession's validity rule as a SQL condition over `session s join app_user u`, for a
 * statement that checks the session and reads what the request asks in one round trip (DICOMweb
 * frames). `tokenHash` and `now` are the statement's placeholders; `now` is bound to this
 * process's clock, which resolveSession compares with too.
 */
export function validSessionSql(tokenHash: string, now: string): string {
  return `s.token_hash = ${tokenHash} and s.revoked_at is null and s.idle_expires_at > ${now} and s.absolute_expires_at > ${now} and u.status = 'ACTIVE'`;
}

export interface SessionTouch {
  lastSeenAt: Date;
  idleExpiresAt: Date;
}

/** The slide of the idle expiry a request at `now` makes, or null when the last one is recent enough. */
export function sessionTouch(config: Config, session: { lastSeenAt: Date; absoluteExpiresAt: Date }, now: number): SessionTouch | null {
  if (now - session.lastSeenAt.getTime() < touchIntervalMs(config)) return null;
  return { lastSeenAt: new Date(now), idleExpiresAt: new Date(Math.min(now + minutes(config.sessionIdleMinutes), session.absoluteExpiresAt.getTime())) };
}

export async function touchSession(em: EntityManager, sessionId: string, touch: SessionTouch): Promise<void> {
  await em.nativeUpdate(Session, { id: sessionId }, { lastSeenAt: touch.lastSeenAt, idleExpiresAt: touch.idleExpiresAt });
}

/** Ids of the given sessions that are still valid (used to close WebSockets of ended sessions). */
export async function stillValidSessions(em: EntityManager, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await em.execute<{ id: string }[]>(
    `select s.id from session s join app_user u on u.id = s.user_id
     where s.id in (${placeholders(ids)}) and s.revoked_at is null and s.idle_expires_at > now()
       and s.absolute_expires_at > now() and u.status = 'ACTIVE'`,
    ids,
  );
  return new Set(rows.map((r) => r.id));
}

/** A new session for `user`, its cookie set on the answer: password and Pro Santé Connect logins alike. */
export async function openSession(ctx: Context, user: User): Promise<Session> {
  const { config } = ctx.deps;
  const token = newToken();
  const now = Date.now();
  const absolute = new Date(now + config.sessionAbsoluteHours * 3_600_000);
  const session = ctx.em.create(Session, {
    tokenHash: hashToken(token),
    user,
    idleExpiresAt: new Date(Math.min(now + minutes(config.sessionIdleMinutes), absolute.getTime())),
    absoluteExpiresAt: absolute,
    ip: ctx.request.ip,
    userAgent: ctx.request.userAgent?.slice(0, 300) ?? null,
  });
  ctx.em.persist(session);
  ctx.cookies.set(SESSION_COOKIE, token, { maxAgeSeconds: Math.round(config.sessionAbsoluteHours * 3600) });
  return session;
}

// ---------------------------------------------------------------------------------------------
// Login / logout

export async function login(ctx: Context, emailInput: string, password: string): Promise<ResolvedSession> {
  const { em, deps } = ctx;
  const email = emailInput.trim().toLowerCase();
  if (!email || !password || password.length > 1024) throw new AppError(ErrorCode.INVALID_CREDENTIALS, 'Wrong e-mail or password');
  await consumeRateLimit(em, deps.config, `login:ip:${ctx.request.ip ?? '?'}`, 30, 60);

  // Whether or not an account has this e-mail, the attempt is counted, verified (against a
  // dummy hash when there is nothing to verify) and answered alike: same codes, same
  // fields, same locks, same work (ADR 0096). Counted before verifying (ADR 0010).
  const device = ctx.request.cookies?.[DEVICE_COOKIE];
  const throttle = await LoginThrottle.for(em, deps, email, { ip: ctx.request.ip, device });
  const reservation = await throttle.reserve();
  const user = await em.findOne(User, { email }, { fields: ['id', 'status', 'passwordHash'] });
  if (!reservation.allowed) {
    audit(em, 'LOGIN_FAILED', { ...actorOf(ctx), targetUserId: user?.id ?? null, outcome: 'LOCKED' });
    await em.flush();
    loginFailures.inc({ reason: 'locked' });
    throw accountLocked(reservation.lock);
  }

  const hash = user?.status === UserStatus.ACTIVE ? user.passwordHash : null;
  const ok = hash ? await verifyPassword(hash, password) : (await verifyAgainstNothing(password), false);
  if (!ok || !user) {
    const { lock } = reservation;
    // The trail tells the cases apart, under the account if there is one, for whoever investigates.
    const outcome = !user ? 'UNKNOWN_ACCOUNT' : user.status === UserStatus.DISABLED ? 'ACCOUNT_DISABLED' : user.status === UserStatus.ACTIVE ? 'WRONG_PASSWORD' : 'NOT_ACTIVATED';
    audit(em, lock && user ? 'ACCOUNT_LOCKED' : 'LOGIN_FAILED', { ...actorOf(ctx), targetUserId: user?.id ?? null, outcome });
    await em.flush();
    loginFailures.inc({ reason: 'bad_credentials' });
    if (lock) loginLocks.inc({ scope: lock.scope });
    if (lock) throw accountLocked(lock);
    throw new AppError(ErrorCode.INVALID_CREDENTIALS, 'Wrong e-mail or password', { remainingAttempts: reservation.remainingAttempts });
  }

  // A second factor, when the account has one or must enrol one, ends the login (ADR 0127).
  await secondFactorGate(ctx, throttle, user.id);

  // Only a cookie this identifier already trusts is kept: a value planted in the browser by
  // someone else never becomes one they know the trusted value of.
  const deviceToken = throttle.knownDevice && device ? device : newToken();
  await throttle.succeeded(deviceToken);
  ctx.cookies.set(DEVICE_COOKIE, deviceToken, { maxAgeSeconds: DEVICE_COOKIE_MAX_AGE_SECONDS });
  const active = await em.findOneOrFail(User, { id: user.id }, { refresh: true });
  const session = await openSession(ctx, active);
  audit(em, 'LOGIN_SUCCEEDED', { ...actorOf(ctx), actorKind: 'USER', actorUserId: active.id });
  await em.flush();
  return { user: active, session };
}

/** `scope` lets the page say whether this browser failed 3 times or the account is shut to new browsers. */
export function accountLocked(lock: Lock): AppError {
  return new AppError(ErrorCode.ACCOUNT_LOCKED, 'Account locked after too many failed attempts', {
    lockedUntil: lock.until.toISOString(),
    scope: lock.scope,
  });
}

export async function logout(ctx: Context): Promise<boolean> {
  if (ctx.viewer.kind === 'user') {
    const session = ctx.viewer.session;
    await ctx.em.nativeUpdate(Session, { id: session.id }, { revokedAt: new Date() });
    audit(ctx.em, 'LOGOUT', actorOf(ctx));
    await ctx.em.flush();
    sessionEnded(session.id);
  }
  ctx.cookies.clear(SESSION_COOKIE);
  return true;
}

/** Listeners told when a session ends in this process (WebSockets close at once). */
const sessionEndListeners = new Set<(sessionId: string) => void>();
export function onSessionEnded(listener: (sessionId: string) => void): () => void {
  sessionEndListeners.add(listener);
  return () => sessionEndListeners.delete(listener);
}
function sessionEnded(sessionId: string): void {
  for (const l of sessionEndListeners) l(sessionId);
}
/** Sessions revoked elsewhere (an administrator disabled the account): their WebSockets here close. */
export function endSessions(sessionIds: readonly string[]): void {
  sessionIds.forEach(sessionEnded);
}

// ---------------------------------------------------------------------------------------------
// Single-use tokens (activation, password reset)

/** The outbox key of the mail that carries a token: the mail is found again by the token's hash. */
function tokenMailKey(purpose: UserTokenPurpose, tokenHash: string): string {
  return `${purpose === UserTokenPurpose.ACTIVATION ? 'activation' : 'password-reset'}:${tokenHash}`;
}

/**
 * A mail still unsent for a superseded link would carry a dead link: it is cancelled. The
 * outbox trigger of Migration20261128011000_AuthLinkScrub then drops its token, as it does
 * for every sent link (ADR 0017).
 */
async function cancelTokenMails(em: EntityManager, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  await em.execute(
    `update outbox_message set failed_at = now(), last_error = 'superseded'
     where idempotency_key in (${placeholders(keys)}) and sent_at is null and failed_at is null`,
    keys,
  );
}

async function issueUserToken(em: EntityManager, user: User, purpose: UserTokenPurpose, ttlMs: number): Promise<string> {
  // A new link supersedes older unused ones.
  const superseded = await em.execute<{ token_hash: string }[]>(
    `update user_token set used_at = now() where user_id = ? and purpose = ? and used_at is null returning token_hash`,
    [user.id, purpose],
  );
  await cancelTokenMails(em, superseded.map((r) => tokenMailKey(purpose, r.token_hash)));
  const token = newToken();
  em.persist(em.create(UserToken, { purpose, tokenHash: hashToken(token), user, expiresAt: new Date(Date.now() + ttlMs) }));
  return token;
}

/** Consumes a token atomically: of two concurrent uses, exactly one succeeds. */
async function consumeUserToken(em: EntityManager, token: string, purpose: UserTokenPurpose): Promise<User> {
  if (!token || token.length > 200) throw invalidToken();
  // A disabled account's links open nothing (an administrator disabled it: ADR 0091).
  const rows = await em.execute<{ user_id: string }[]>(
    `update user_token t set used_at = now()
      where t.token_hash = ? and t.purpose = ? and t.used_at is null and t.expires_at > now()
        and exists (select 1 from app_user u where u.id = t.user_id and u.status <> 'DISABLED')
      returning t.user_id`,
    [hashToken(token), purpose],
  );
  const userId = rows[0]?.user_id;
  if (!userId) throw invalidToken();
  return em.findOneOrFail(User, { id: userId });
}

function invalidToken(): AppError {
  return new AppError(ErrorCode.INVALID_TOKEN, 'This link is invalid, already used or expired');
}

/**
 * Always true, and in the same time whether or not the account exists (ADR 0096): past the
 * limits, which count every e-mail alike, the answer leaves before the account is looked up;
 * finding it, issuing the link and queueing the mail happen after, off the request.
 */
export async function requestPasswordReset(ctx: Context, emailInput: string): Promise<boolean> {
  const { em, deps } = ctx;
  const email = normalizeEmail(emailInput);
  await consumeRateLimit(em, deps.config, `reset:ip:${ctx.request.ip ?? '?'}`, 10, 3600);
  await consumeRateLimit(em, deps.config, `reset:email:${await loginSubject(deps, email)}`, 3, 3600);
  const actor = actorOf(ctx);
  afterAnswer(deps, 'password reset request', (tx) => mailResetLink(tx, deps.config, email, actor));
  return true;
}

async function mailResetLink(tx: EntityManager, config: Config, email: string, actor: AuditFields): Promise<void> {
  const user = await tx.findOne(User, { email, status: UserStatus.ACTIVE });
  if (!user) return;
  const token = await issueUserToken(tx, user, UserTokenPurpose.PASSWORD_RESET, minutes(config.passwordResetTtlMinutes));
  await enqueueMail(tx, {
    to: user.email,
    template: 'auth.password-reset',
    payload: { token },
    idempotencyKey: tokenMailKey(UserTokenPurpose.PASSWORD_RESET, hashToken(token)),
    locale: user.locale,
  });
  audit(tx, 'PASSWORD_RESET_REQUESTED', { ...actor, targetUserId: user.id });
}

/**
 * Runs `work` in a transaction of its own once the current request has answered, then wakes the
 * outbox: for work whose duration would tell the caller something. A failure is logged; the
 * person asks again.
 */
function afterAnswer(deps: AppDeps, what: string, work: (tx: EntityManager) => Promise<void>): void {
  setImmediate(() => {
    deps.orm.em
      .fork()
      .transactional((tx) => work(tx as EntityManager))
      .then(
        () => deps.outbox.wake(),
        (err: unknown) => deps.logger.error({ err }, `${what} failed`),
      );
  });
}

export async function resetPassword(ctx: Context, token: string, password: string): Promise<boolean> {
  const { em } = ctx;
  await consumeRateLimit(em, ctx.deps.config, `token:ip:${ctx.request.ip ?? '?'}`, 30, 3600);
  const ended = await em.transactional(async (tx) => {
    const user = await consumeUserToken(tx, token, UserTokenPurpose.PASSWORD_RESET);
    checkPasswordPolicy(password, { email: user.email });
    user.passwordHash = await hashPassword(password);
    await clearFailures(tx as EntityManager, await loginSubject(ctx.deps, user.email));
    // A reset is what someone does when they fear their password leaked: end every session.
    const open = await tx.find(Session, { user, revokedAt: null });
    for (const s of open) s.revokedAt = new Date();
    audit(tx, 'PASSWORD_RESET', { ...actorOf(ctx), targetUserId: user.id });
    return open.map((s) => s.id);
  });
  endSessions(ended);
  return true;
}

export async function activateAccount(ctx: Context, token: string, password: string): Promise<boolean> {
  const { em } = ctx;
  await consumeRateLimit(em, ctx.deps.config, `token:ip:${ctx.request.ip ?? '?'}`, 30, 3600);
  await em.transactional(async (tx) => {
    const user = await consumeUserToken(tx, token, UserTokenPurpose.ACTIVATION);
    checkPasswordPolicy(password, { email: user.email });
    user.passwordHash = await hashPassword(password);
    user.status = UserStatus.ACTIVE;
    user.activatedAt = new Date();
    await grantPendingRights(tx, user);
    audit(tx, 'ACCOUNT_ACTIVATED', { ...actorOf(ctx), targetUserId: user.id });
  });
  return true;
}

/** Exams published for this RPPS before the account existed become visible now. */
export async function grantPendingRights(em: EntityManager, user: User): Promise<void> {
  if (!user.rpps || user.role !== Role.PHYSICIAN) return;
  await em.execute(`update exam_access set physician_id = ? where rpps = ? and physician_id is null`, [user.id, user.rpps]);
}

// ---------------------------------------------------------------------------------------------
// Account requests and user creation

export interface AccountRequestInputData {
  firstName: string;
  lastName: string;
  email: string;
  rpps: string;
  phone?: string | null;
}

function cleanName(value: string, field: string): string {
  const v = value.trim().replace(/\s+/g, ' ');
  if (!v || v.length > 100) throw badInput(`${field} is required (at most 100 characters)`, field);
  return v;
}

function cleanPhone(value: string | null | undefined): string | null {
  if (!value?.trim()) return null;
  const v = value.trim();
  if (!/^\+?[0-9 .()-]{6,20}$/.test(v)) throw badInput('Invalid phone number', 'phone');
  return v;
}

export async function requestAccount(ctx: Context, input: AccountRequestInputData): Promise<boolean> {
  const { em } = ctx;
  const data = {
    firstName: cleanName(input.firstName, 'firstName'),
    lastName: cleanName(input.lastName, 'lastName'),
    email: normalizeEmail(input.email),
    rpps: input.rpps.replace(/\s/g, ''),
    phone: cleanPhone(input.phone),
  };
  if (!isValidRpps(data.rpps)) throw badInput('Invalid RPPS number (11 digits with a check digit)', 'rpps');
  await consumeRateLimit(em, ctx.deps.config, `account-request:ip:${ctx.request.ip ?? '?'}`, 5, 3600);
  // Whether a request is already pending for the e-mail must not show in the time taken
  // either (ADR 0096): the request is stored after the answer.
  const actor = actorOf(ctx);
  afterAnswer(ctx.deps, 'account request', async (tx) => {
    // Two requests sent back to back may be stored at the same time: one pending request per e-mail.
    await tx.execute(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [`account-request:${data.email}`]);
    if ((await tx.count(AccountRequest, { email: data.email, status: AccountRequestStatus.PENDING })) > 0) return;
    tx.persist(tx.create(AccountRequest, data));
    audit(tx, 'ACCOUNT_REQUESTED', actor);
  });
  return true;
}

/**
 * Administrators only, checked in the service whatever the edge (GraphQL, CLI, a future REST
 * route): account requests (names, e-mails and RPPS numbers of people who are not users yet),
 * accounts, facilities and their keys, the audit trail. Anonymous callers must log in; every
 * other caller is refused.
 */
export function requireAdmin(viewer: Viewer): User {
  if (viewer.kind === 'anonymous') throw unauthenticated();
  if (viewer.kind !== 'user' || viewer.user.role !== Role.ADMIN) throw forbidden();
  return viewer.user;
}

export async function listAccountRequests(ctx: Context, status?: AccountRequestStatus): Promise<AccountRequest[]> {
  requireAdmin(ctx.viewer);
  return ctx.em.find(AccountRequest, status ? { status } : {}, { orderBy: { createdAt: 'desc' }, limit: 500 });
}

/** A new activation link for `user`, e-mailed through the outbox (in the caller's transaction; wake the outbox after). */
export async function mailActivationLink(tx: EntityManager, config: Config, user: User): Promise<void> {
  const token = await issueUserToken(tx, user, UserTokenPurpose.ACTIVATION, config.activationTtlHours * 3_600_000);
  await tx.flush();
  await enqueueMail(tx, {
    to: user.email,
    template: 'auth.activation',
    payload: { token },
    idempotencyKey: tokenMailKey(UserTokenPurpose.ACTIVATION, hashToken(token)),
  });
}

export async function approveAccountRequest(ctx: Context, id: string): Promise<AccountRequest> {
  const admin = requireAdmin(ctx.viewer);
  const result = await ctx.em.transactional(async (tx) => {
    const req = isUuid(id) ? await tx.findOne(AccountRequest, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE }) : null;
    if (!req) throw notFound('Account request');
    if (req.status !== AccountRequestStatus.PENDING) throw badInput('This request was already decided');
    if (await tx.count(User, { $or: [{ email: req.email }, { rpps: req.rpps }] })) {
      throw badInput('An account with this e-mail or RPPS number already exists');
    }
    const user = tx.create(User, {
      role: Role.PHYSICIAN,
      email: req.email,
      rpps: req.rpps,
      firstName: req.firstName,
      lastName: req.lastName,
      phone: req.phone,
    });
    tx.persist(user);
    await mailActivationLink(tx as EntityManager, ctx.deps.config, user);
    req.status = AccountRequestStatus.APPROVED;
    req.decidedAt = new Date();
    req.decidedBy = tx.getReference(User, admin.id);
    req.user = user;
    audit(tx, 'ACCOUNT_REQUEST_APPROVED', { ...actorOf(ctx), targetUserId: user.id });
    return req;
  });
  ctx.deps.outbox.wake();
  return result;
}

export async function rejectAccountRequest(ctx: Context, id: string, reason: string | null): Promise<AccountRequest> {
  const admin = requireAdmin(ctx.viewer);
  const result = await ctx.em.transactional(async (tx) => {
    // Locked like approval, so a request is never both approved and rejected by two admins.
    const req = isUuid(id) ? await tx.findOne(AccountRequest, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE }) : null;
    if (!req) throw notFound('Account request');
    if (req.status !== AccountRequestStatus.PENDING) throw badInput('This request was already decided');
    req.status = AccountRequestStatus.REJECTED;
    req.rejectionReason = reason?.trim().slice(0, 500) || null;
    req.decidedAt = new Date();
    req.decidedBy = tx.getReference(User, admin.id);
    await enqueueMail(tx, {
      to: req.email,
      template: 'auth.account-rejected',
      payload: { reason: req.rejectionReason },
      idempotencyKey: `account-rejected:${req.id}`,
    });
    audit(tx, 'ACCOUNT_REQUEST_REJECTED', actorOf(ctx));
    return req;
  });
  ctx.deps.outbox.wake();
  return result;
}

export interface CreateUserInput {
  email: string;
  role: Role;
  firstName: string;
  lastName: string;
  rpps?: string | null;
  password?: string | null;
}

/** Operator path (CLI, demo seed). Returns an activation token when no password was given. */
export async function createUser(em: EntityManager, config: Config, input: CreateUserInput): Promise<{ user: User; activationToken: string | null }> {
  const email = normalizeEmail(input.email);
  const rpps = input.rpps?.replace(/\s/g, '') || null;
  if (rpps && !isValidRpps(rpps)) throw badInput('Invalid RPPS number', 'rpps');
  if (input.role === Role.PHYSICIAN && !rpps) throw badInput('A physician needs an RPPS number', 'rpps');
  return em.transactional(async (tx) => {
    if (await tx.count(User, { email })) throw badInput('An account with this e-mail already exists', 'email');
    if (rpps && (await tx.count(User, { rpps }))) throw badInput('An account with this RPPS number already exists', 'rpps');
    const user = tx.create(User, {
      role: input.role,
      email,
      rpps,
      firstName: cleanName(input.firstName, 'firstName'),
      lastName: cleanName(input.lastName, 'lastName'),
    });
    tx.persist(user);
    let activationToken: string | null = null;
    if (input.password) {
      checkPasswordPolicy(input.password, { email });
      user.passwordHash = await hashPassword(input.password);
      user.status = UserStatus.ACTIVE;
      user.activatedAt = new Date();
      await tx.flush();
      await grantPendingRights(tx, user);
    } else {
      activationToken = await issueUserToken(tx, user, UserTokenPurpose.ACTIVATION, config.activationTtlHours * 3_600_000);
    }
    audit(tx, 'USER_CREATED', { actorKind: 'SYSTEM', targetUserId: user.id });
    return { user, activationToken };
  });
}

// ---------------------------------------------------------------------------------------------
// Preferences

export interface PreferencesData {
  locale?: string | null;
  emailNotifications?: boolean | null;
}

export const LOCALES = ['fr', 'en'] as const;

export async function updatePreferences(ctx: Context, input: PreferencesData): Promise<ResolvedSession> {
  if (ctx.viewer.kind !== 'user') throw unauthenticated();
  const { user, session } = ctx.viewer;
  if (input.locale != null) {
    if (!(LOCALES as readonly string[]).includes(input.locale)) throw badInput('Unsupported locale', 'locale');
    user.locale = input.locale;
  }
  if (input.emailNotifications != null) user.emailNotifications = input.emailNotifications;
  await ctx.em.flush();
  return { user, session };
}
