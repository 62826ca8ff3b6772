import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../../graphql/context.js';
import { toMe } from '../auth.resolver.js';
import { Me } from '../auth.types.js';
import { AccountSecurity, ActiveSession, EnrolmentResult, SecondFactor, SecondFactorKind, TotpEnrolment } from './account.types.js';
import * as passkeys from './passkey.js';
import * as factors from './second-factor.js';
import { changePassword, endMySession, mySessions } from './self-service.js';

const toFactor = (f: factors.FactorRow): SecondFactor => ({
  id: f.id,
  kind: f.kind === 'TOTP' ? SecondFactorKind.TOTP : SecondFactorKind.PASSKEY,
  label: f.label,
  createdAt: new Date(f.created_at),
  lastUsedAt: f.last_used_at ? new Date(f.last_used_at) : null,
});

function toEnrolment(ctx: Context, r: factors.EnrolmentResult): EnrolmentResult {
  return { recoveryCodes: r.recoveryCodes, me: r.session ? toMe(r.session.user, r.session.session, ctx.deps.config.sessionIdleMinutes) : null };
}

/** « Mon compte »: the caller's own password, sessions and second factors; the login's second step. */
@Resolver()
export class AccountSelfResolver {
  @Authorized()
  @Query(() => [ActiveSession], { description: 'The sessions open on your account, the most recently active first' })
  mySessions(@Ctx() ctx: Context): Promise<ActiveSession[]> {
    return mySessions(ctx);
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Ends another session of your account: that browser is logged out at its next request' })
  endSession(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<boolean> {
    return endMySession(ctx, id);
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'The current password required; your other sessions end; an e-mail tells you' })
  changePassword(
    @Ctx() ctx: Context,
    @Arg('currentPassword', () => String) currentPassword: string,
    @Arg('newPassword', () => String) newPassword: string,
  ): Promise<boolean> {
    return changePassword(ctx, currentPassword, newPassword);
  }

  @Authorized()
  @Query(() => AccountSecurity)
  async accountSecurity(@Ctx() ctx: Context): Promise<AccountSecurity> {
    const s = await factors.accountSecurity(ctx);
    return { factors: s.factors.map(toFactor), recoveryCodesLeft: s.recoveryCodesLeft, secondFactorRequired: s.required };
  }

  @Mutation(() => Me, { description: 'The login’s second step: a code of your authenticator app, or a recovery code. Wrong codes count toward the lockout.' })
  async verifySecondFactor(@Ctx() ctx: Context, @Arg('code', () => String) code: string): Promise<Me> {
    const { user, session } = await factors.verifySecondFactor(ctx, code);
    return toMe(user, session, ctx.deps.config.sessionIdleMinutes);
  }

  @Mutation(() => TotpEnrolment, { description: 'Signed in, or during a login held until the account enrols a second factor' })
  startTotpEnrolment(@Ctx() ctx: Context): Promise<TotpEnrolment> {
    return factors.startTotpEnrolment(ctx);
  }

  @Mutation(() => EnrolmentResult, { description: 'A code of the app confirms it; a held login then opens its session' })
  async confirmTotpEnrolment(@Ctx() ctx: Context, @Arg('code', () => String) code: string): Promise<EnrolmentResult> {
    return toEnrolment(ctx, await factors.confirmTotpEnrolment(ctx, code));
  }

  @Authorized()
  @Mutation(() => [String], { description: 'Ten new recovery codes replace the old ones (password required)' })
  regenerateRecoveryCodes(@Ctx() ctx: Context, @Arg('password', () => String) password: string): Promise<string[]> {
    return factors.regenerateRecoveryCodes(ctx, password);
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Removes one of your second factors (password required)' })
  removeSecondFactor(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('password', () => String) password: string): Promise<boolean> {
    return factors.removeSecondFactor(ctx, id, password);
  }

  @Mutation(() => String, { description: 'Options for navigator.credentials.create(), as JSON (signed in, or a login held for enrolment)' })
  startPasskeyEnrolment(@Ctx() ctx: Context): Promise<string> {
    return passkeys.startPasskeyEnrolment(ctx);
  }

  @Mutation(() => EnrolmentResult, { description: 'The authenticator’s answer (JSON) to startPasskeyEnrolment' })
  async confirmPasskeyEnrolment(@Ctx() ctx: Context, @Arg('response', () => String) response: string): Promise<EnrolmentResult> {
    return toEnrolment(ctx, await passkeys.confirmPasskeyEnrolment(ctx, response));
  }

  @Mutation(() => String, { description: 'The login’s second step with a passkey: options for navigator.credentials.get(), as JSON' })
  startPasskeyLogin(@Ctx() ctx: Context): Promise<string> {
    return passkeys.startPasskeyLogin(ctx);
  }

  @Mutation(() => Me, { description: 'The authenticator’s answer (JSON) to startPasskeyLogin; a failure counts toward the lockout' })
  async verifyPasskeyLogin(@Ctx() ctx: Context, @Arg('response', () => String) response: string): Promise<Me> {
    const { user, session } = await passkeys.verifyPasskeyLogin(ctx, response);
    return toMe(user, session, ctx.deps.config.sessionIdleMinutes);
  }
}
