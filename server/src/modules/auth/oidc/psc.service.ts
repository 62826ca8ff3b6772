import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError, ErrorCode } from '../../../common/errors.js';
import { hashToken, newToken } from '../../../common/tokens.js';
import { consumeRateLimit } from '../../../common/rate-limit.js';
import type { PscConfig } from '../../../config.js';
import type { Context } from '../../../graphql/context.js';
import { actorOf, audit } from '../../audit/audit.service.js';
import { AccountRequest, AccountRequestStatus } from '../account-request.entity.js';
import { grantPendingRights, logout, openSession } from '../auth.service.js';
import { Role, User, UserStatus } from '../user.entity.js';
import { UserTokenPurpose } from '../user-token.entity.js';
import { PSC_ACR, authorizationUrl, endSessionUrl, exchangeCode, newLoginChecks } from './psc.client.js';
import { rppsOfClaims } from './psc-claims.js';

/**
 * Pro Santé Connect login (ADR 0123): the redirect to the provider, the callback that opens a
 * session for the account holding the RPPS the provider vouches for, and the logout that ends
 * the provider's session too (ADR 0124).
 */

/** Ties a login under way to the browser that started it (HttpOnly, SameSite=Lax, this path only). */
export const PSC_BROWSER_COOKIE = 'emage_psc';
export const PSC_COOKIE_PATH = '/api/auth/psc';
/** How long a person has at the provider (card, PIN, e-CPS approval) before the state is void. */
const LOGIN_TTL_MINUTES = 10;

/** Why a login did not open a session: the login page says it in the person's language. */
export type PscRefusal =
  /** The state is unknown, used, expired or another browser's; or the provider's answer failed a check. */
  | 'refused'
  /** The person cancelled at the provider, or it answered with an error. */
  | 'cancelled'
  /** The provider could not be reached (discovery, token or UserInfo). */
  | 'unavailable'
  /** The provider's identity names no RPPS number (an ADELI-only professional, for instance). */
  | 'no-rpps'
  /** No account holds this RPPS number, and no request for one is pending: nothing is created. */
  | 'unknown-rpps'
  /** A request for an account with this RPPS waits for an administrator. */
  | 'request-pending'
  | 'disabled'
  | 'rate-limited';

export class PscLoginRefused extends Error {
  constructor(
    readonly reason: PscRefusal,
    readonly detail: string,
    readonly userId: string | null = null,
  ) {
    super(`Pro Santé Connect login refused (${reason}): ${detail}`);
    this.name = 'PscLoginRefused';
  }
}

/** The trail's outcome for each refusal (the admin page translates them). */
const REFUSAL_OUTCOME: Record<PscRefusal, string> = {
  refused: 'PSC_REJECTED',
  cancelled: 'PSC_CANCELLED',
  unavailable: 'PSC_UNAVAILABLE',
  'no-rpps': 'PSC_NO_RPPS',
  'unknown-rpps': 'UNKNOWN_ACCOUNT',
  'request-pending': 'REQUEST_PENDING',
  disabled: 'ACCOUNT_DISABLED',
  'rate-limited': 'RATE_LIMITED',
};

/**
 * Starts a login: a new state, nonce and PKCE verifier kept server-side, bound to this browser's
 * cookie (drawn now if it has none), with the portal page to land on afterwards (a path of this
 * portal only: see localPath). Returns where to send the browser.
 */
export async function startLogin(ctx: Context, psc: PscConfig, returnTo: string | null): Promise<string> {
  const { em } = ctx;
  await consumeRateLimit(em, ctx.deps.config, `psc-login:ip:${ctx.request.ip ?? '?'}`, 30, 60);
  const known = ctx.request.cookies?.[PSC_BROWSER_COOKIE];
  const browser = known && known.length <= 200 ? known : newToken();
  const checks = newLoginChecks();
  const url = await authorizationUrl(psc, checks);
  await em.execute(`delete from oidc_login where expires_at < now()`);
  await em.execute(
    `insert into oidc_login (state_hash, browser_hash, nonce, code_verifier, return_to, expires_at) values (?, ?, ?, ?, ?, now() + make_interval(mins => ?))`,
    [hashToken(checks.state), hashToken(browser), checks.nonce, checks.codeVerifier, localPath(returnTo), LOGIN_TTL_MINUTES],
  );
  ctx.cookies.set(PSC_BROWSER_COOKIE, browser, { path: PSC_COOKIE_PATH, maxAgeSeconds: LOGIN_TTL_MINUTES * 60 });
  return url.href;
}

export interface PscLogin {
  user: User;
  /** The page the person was going to, when the login page named one. */
  returnTo: string | null;
}

/**
 * A path on this portal, or null: never another origin (`//host`, or `/\host`, which browsers
 * read alike), nor a control character, so the callback cannot be made to send a person with a
 * fresh session to someone else's page.
 */
export function localPath(raw: string | null | undefined): string | null {
  if (!raw || raw.length > 500 || !raw.startsWith('/') || raw.startsWith('//') || raw.includes('\\')) return null;
  if ([...raw].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return null;
  return raw;
}

/**
 * The provider's callback. `callbackUrl` is the configured redirect URL with the query the
 * browser brought. The state is consumed whatever follows, and only by the browser that started
 * the login; every refusal is in the audit trail.
 */
export async function finishLogin(ctx: Context, psc: PscConfig, callbackUrl: URL): Promise<PscLogin> {
  // Before anything is written: a flood of made-up callbacks must not fill the audit trail.
  try {
    await consumeRateLimit(ctx.em, ctx.deps.config, `psc-callback:ip:${ctx.request.ip ?? '?'}`, 30, 60);
  } catch (error) {
    if (error instanceof AppError && error.code === ErrorCode.RATE_LIMITED) throw new PscLoginRefused('rate-limited', 'too many callbacks from this address');
    throw error;
  }
  try {
    return await finish(ctx, psc, callbackUrl);
  } catch (error) {
    const refusal = error instanceof PscLoginRefused ? error : new PscLoginRefused('unavailable', error instanceof Error ? error.message : String(error));
    audit(ctx.em, 'LOGIN_FAILED', { ...actorOf(ctx), targetUserId: refusal.userId, outcome: REFUSAL_OUTCOME[refusal.reason] });
    await ctx.em.flush();
    throw refusal;
  }
}

async function finish(ctx: Context, psc: PscConfig, callbackUrl: URL): Promise<PscLogin> {
  const { em } = ctx;
  const state = callbackUrl.searchParams.get('state');
  const browser = ctx.request.cookies?.[PSC_BROWSER_COOKIE];
  if (!state || !browser || state.length > 200 || browser.length > 200) throw new PscLoginRefused('refused', 'no state, or no login cookie');
  // Only the browser that started this login consumes its state: another's callback leaves it.
  const [row] = await em.execute<Array<{ nonce: string; code_verifier: string; return_to: string | null; expired: boolean }>>(
    `delete from oidc_login where state_hash = ? and browser_hash = ? returning nonce, code_verifier, return_to, expires_at < now() as expired`,
    [hashToken(state), hashToken(browser)],
  );
  if (!row) throw new PscLoginRefused('refused', 'unknown or used state, or another browser’s');
  if (row.expired) throw new PscLoginRefused('refused', 'the login took longer than its state lives');
  const providerError = callbackUrl.searchParams.get('error');
  if (providerError) throw new PscLoginRefused('cancelled', `the provider answered ${providerError.slice(0, 100)}`);

  let identity;
  try {
    identity = await exchangeCode(psc, callbackUrl, { state, nonce: row.nonce, codeVerifier: row.code_verifier });
  } catch (error) {
    throw isUnreachable(error)
      ? new PscLoginRefused('unavailable', describe(error))
      : new PscLoginRefused('refused', describe(error));
  }
  // The library checked what OpenID Connect requires; the level is PSC's: a CPS card or e-CPS.
  if (identity.idClaims.acr !== PSC_ACR) throw new PscLoginRefused('refused', `authentication level ${String(identity.idClaims.acr)} instead of ${PSC_ACR}`);
  const rpps = rppsOfClaims(identity.userInfo, identity.idClaims);
  if (!rpps) throw new PscLoginRefused('no-rpps', 'the identity names no RPPS number');

  return em.transactional(async (tx) => {
    const user = await tx.findOne(User, { rpps }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!user) {
      const pending = await tx.count(AccountRequest, { rpps, status: AccountRequestStatus.PENDING });
      throw new PscLoginRefused(pending > 0 ? 'request-pending' : 'unknown-rpps', 'no account holds this RPPS number');
    }
    if (user.status === UserStatus.DISABLED) throw new PscLoginRefused('disabled', 'the account is disabled', user.id);
    const txCtx: Context = { ...ctx, em: tx as EntityManager };
    if (user.status === UserStatus.PENDING_ACTIVATION) await activate(txCtx, user);
    await grantPendingRights(tx as EntityManager, user);
    const session = await openSession(txCtx, user);
    await tx.flush();
    await tx.execute(`insert into oidc_session (session_id, id_token) values (?, ?)`, [session.id, identity.idToken]);
    audit(tx, 'LOGIN_SUCCEEDED', { ...actorOf(ctx), actorKind: 'USER', actorUserId: user.id, outcome: 'PRO_SANTE_CONNECT' });
    return { user, returnTo: row.return_to };
  });
}

/**
 * The account an administrator approved (or an operator created) waits for its activation link:
 * the provider has proved who holds its RPPS, so the first login activates it instead. The
 * links still out are used up, and their mails cancelled if still unsent (as auth.service does
 * when it supersedes a link: the outbox key is "activation:" + the token's hash).
 */
async function activate(ctx: Context, user: User): Promise<void> {
  const { em } = ctx;
  const used = await em.execute<Array<{ token_hash: string }>>(
    `update user_token set used_at = now() where user_id = ? and purpose = ? and used_at is null returning token_hash`,
    [user.id, UserTokenPurpose.ACTIVATION],
  );
  for (const { token_hash } of used) {
    await em.execute(`update outbox_message set failed_at = now(), last_error = 'superseded' where idempotency_key = ? and sent_at is null and failed_at is null`, [`activation:${token_hash}`]);
  }
  user.status = UserStatus.ACTIVE;
  user.activatedAt = new Date();
  audit(em, 'ACCOUNT_ACTIVATED', { ...actorOf(ctx), targetUserId: user.id, outcome: 'PRO_SANTE_CONNECT' });
}

/** Where each role lands after logging in (as the password login does in the shell). */
export function homeOf(user: User): string {
  switch (user.role) {
    case Role.PHYSICIAN:
      return '/';
    case Role.ADMIN:
      return '/admin/demandes';
    case Role.ANALYST:
      return '/analyste';
  }
}

/**
 * Ends the local session as the logout mutation does, then, for a session opened through the
 * provider that advertises an end_session_endpoint, returns the provider's logout URL for the
 * browser to visit (ADR 0124). Null otherwise, and when the provider cannot be reached: the
 * local session is over either way.
 */
export async function logoutEverywhere(ctx: Context, psc: PscConfig | undefined): Promise<string | null> {
  const sessionId = ctx.viewer.kind === 'user' ? ctx.viewer.session.id : null;
  const [row] = sessionId ? await ctx.em.execute<Array<{ id_token: string }>>(`select id_token from oidc_session where session_id = ?`, [sessionId]) : [];
  await logout(ctx);
  if (!row || !psc) return null;
  await ctx.em.execute(`delete from oidc_session where session_id = ?`, [sessionId]);
  return endSessionUrl(psc, row.id_token).catch(() => null);
}

/** A network failure or timeout reaching the provider, as opposed to an answer that failed a check. */
function isUnreachable(error: unknown): boolean {
  const e = error as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  return (
    e?.name === 'TimeoutError' ||
    e?.name === 'AbortError' ||
    (e?.name === 'TypeError' && /fetch failed/.test(String((error as Error).message))) ||
    ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT'].includes(e?.cause?.code ?? '')
  );
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: string }).code;
  return `${code ? `${code}: ` : ''}${error.message}`.slice(0, 300);
}
