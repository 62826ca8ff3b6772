import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse,
  type AuthenticationResponseJSON, type AuthenticatorTransportFuture, type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { AppError, ErrorCode, badInput } from '../../../common/errors.js';
import { consumeRateLimit } from '../../../common/rate-limit.js';
import type { Config } from '../../../config.js';
import type { Context } from '../../../graphql/context.js';
import type { ResolvedSession } from '../auth.service.js';
import { requirePendingLogin } from './login-challenge.js';
import { confirmedFactors, enrolee, factorAdded, throttledAttempt, type EnrolmentResult, type FactorRow } from './second-factor.js';

/**
 * Passkeys (WebAuthn) as the phishing-resistant second factor (issue 20, ADR 0128), with
 * SimpleWebAuthn: the relying party is PUBLIC_URL's host and origin, so a page served from any
 * other origin cannot use them. One ceremony per account and purpose at a time, its challenge
 * kept 5 minutes and usable once.
 */

type Purpose = 'REGISTER' | 'LOGIN';
const CEREMONY_MINUTES = 5;
/** A WebAuthn response is a few kilobytes; anything much larger is not one. */
const MAX_RESPONSE_CHARS = 32_000;

function relyingParty(config: Config): { rpID: string; origin: string; rpName: string } {
  const url = new URL(config.publicUrl);
  return { rpID: url.hostname, origin: url.origin, rpName: 'e-mage' };
}

async function keepChallenge(em: EntityManager, userId: string, purpose: Purpose, challenge: string): Promise<void> {
  await em.execute(
    `insert into webauthn_challenge (user_id, purpose, challenge, expires_at) values (?, ?, ?, now() + (? || ' minutes')::interval)
     on conflict (user_id, purpose) do update set challenge = excluded.challenge, expires_at = excluded.expires_at`,
    [userId, purpose, challenge, String(CEREMONY_MINUTES)],
  );
}

/** The ceremony's challenge, taken (deleted) so that it answers one response only. */
async function takeChallenge(em: EntityManager, userId: string, purpose: Purpose): Promise<string | null> {
  const rows = await em.execute<{ challenge: string }[]>(
    `delete from webauthn_challenge where user_id = ? and purpose = ? returning challenge, expires_at > now() as live`,
    [userId, purpose],
  );
  const row = rows[0] as { challenge: string; live: boolean } | undefined;
  return row?.live ? row.challenge : null;
}

function parseResponse<T>(json: string): T {
  if (!json || json.length > MAX_RESPONSE_CHARS) throw badInput('Not a WebAuthn response', 'response');
  try {
    const value = JSON.parse(json) as unknown;
    if (!value || typeof value !== 'object') throw new Error('not an object');
    return value as T;
  } catch {
    throw badInput('Not a WebAuthn response', 'response');
  }
}

const transportsOf = (f: FactorRow): AuthenticatorTransportFuture[] =>
  (f.transports ? f.transports.split(',') : []) as AuthenticatorTransportFuture[];

const passkeysOf = async (em: EntityManager, userId: string): Promise<FactorRow[]> =>
  (await confirmedFactors(em, userId)).filter((f) => f.kind === 'PASSKEY' && f.credential_id && f.public_key);

/** Options for navigator.credentials.create(), as JSON; the signed-in person or a login held for enrolment. */
export async function startPasskeyEnrolment(ctx: Context): Promise<string> {
  const { user } = await enrolee(ctx);
  await consumeRateLimit(ctx.em, ctx.deps.config, `passkey-enrol:user:${user.id}`, 20, 3600);
  const rp = relyingParty(ctx.deps.config);
  const options = await generateRegistrationOptions({
    rpName: rp.rpName,
    rpID: rp.rpID,
    userName: user.email,
    userDisplayName: user.displayName,
    userID: Buffer.from(user.id.replace(/-/g, ''), 'hex'),
    attestationType: 'none',
    excludeCredentials: (await passkeysOf(ctx.em, user.id)).map((f) => ({ id: f.credential_id!, transports: transportsOf(f) })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
  });
  await keepChallenge(ctx.em, user.id, 'REGISTER', options.challenge);
  return JSON.stringify(options);
}

/** The authenticator's answer to the creation: verified against the challenge, the origin and the RP ID, then kept. */
export async function confirmPasskeyEnrolment(ctx: Context, responseJson: string): Promise<EnrolmentResult> {
  const { user, pending } = await enrolee(ctx);
  const response = parseResponse<RegistrationResponseJSON>(responseJson);
  const challenge = await takeChallenge(ctx.em, user.id, 'REGISTER');
  if (!challenge) throw badInput('Start the enrolment again');
  const rp = relyingParty(ctx.deps.config);
  const verification = await verifyRegistrationResponse({
    response,
    expectedChallenge: challenge,
    expectedOrigin: rp.origin,
    expectedRPID: rp.rpID,
    requireUserVerification: false,
  }).catch(() => null);
  if (!verification?.verified || !verification.registrationInfo) {
    throw new AppError(ErrorCode.INVALID_SECOND_FACTOR, 'The passkey could not be verified', { field: 'response' });
  }
  const { credential } = verification.registrationInfo;
  const inserted = await ctx.em.execute<unknown[]>(
    `insert into second_factor (id, user_id, kind, label, confirmed_at, credential_id, public_key, sign_count, transports)
     values (?, ?, 'PASSKEY', ?, now(), ?, ?, ?, ?) on conflict (credential_id) do nothing returning 1`,
    [randomUUID(), user.id, 'Clé d’accès', credential.id, Buffer.from(credential.publicKey).toString('base64url'), String(credential.counter), (credential.transports ?? []).join(',') || null],
  );
  if (inserted.length === 0) throw badInput('This passkey is already enrolled');
  return factorAdded(ctx, user, pending, 'PASSKEY');
}

/** Options for navigator.credentials.get() at the login's second step, limited to the account's passkeys. */
export async function startPasskeyLogin(ctx: Context): Promise<string> {
  const pending = await requirePendingLogin(ctx, 'VERIFY');
  const passkeys = await passkeysOf(ctx.em, pending.user.id);
  if (passkeys.length === 0) throw badInput('This account has no passkey');
  const options = await generateAuthenticationOptions({
    rpID: relyingParty(ctx.deps.config).rpID,
    allowCredentials: passkeys.map((f) => ({ id: f.credential_id!, transports: transportsOf(f) })),
    userVerification: 'preferred',
  });
  await keepChallenge(ctx.em, pending.user.id, 'LOGIN', options.challenge);
  return JSON.stringify(options);
}

/**
 * The login's second step with a passkey: counted toward the lockout like a code, the
 * signature checked against the stored public key, the signature counter moved on.
 */
export async function verifyPasskeyLogin(ctx: Context, responseJson: string): Promise<ResolvedSession> {
  const pending = await requirePendingLogin(ctx, 'VERIFY');
  const response = parseResponse<AuthenticationResponseJSON>(responseJson);
  return throttledAttempt(ctx, pending, async () => {
    const challenge = await takeChallenge(ctx.em, pending.user.id, 'LOGIN');
    const factor = (await passkeysOf(ctx.em, pending.user.id)).find((f) => f.credential_id === response.id);
    if (!challenge || !factor) return null;
    const rp = relyingParty(ctx.deps.config);
    const verification = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpID,
      credential: {
        id: factor.credential_id!,
        publicKey: Buffer.from(factor.public_key!, 'base64url'),
        counter: Number(factor.sign_count ?? 0),
        transports: transportsOf(factor),
      },
      requireUserVerification: false,
    }).catch(() => null);
    if (!verification?.verified) return null;
    await ctx.em.execute(`update second_factor set sign_count = ?, last_used_at = now() where id = ?`, [
      String(verification.authenticationInfo.newCounter), factor.id,
    ]);
    return 'PASSKEY';
  });
}
