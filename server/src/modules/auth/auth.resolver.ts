import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import * as auth from './auth.service.js';
import type { Session } from './session.entity.js';
import { AccountRequest as AccountRequestEntity, AccountRequestStatus } from './account-request.entity.js';
import { AccountRequest, AccountRequestInput, Me, PreferencesInput } from './auth.types.js';
import type { User } from './user.entity.js';

/** The fields of a user and of their session that `Me` shows (entities, or the session's row). */
type MeUser = Pick<User, 'id' | 'email' | 'firstName' | 'lastName' | 'displayName' | 'role' | 'rpps' | 'locale' | 'emailNotifications'>;
type MeSession = Pick<Session, 'idleExpiresAt' | 'absoluteExpiresAt'>;

export function toMe(user: MeUser, session: MeSession, idleMinutes: number): Me {
  return {
    id: user.id,
    email: user.email,
    firstName: user.firstName,
    lastName: user.lastName,
    displayName: user.displayName,
    role: user.role,
    rpps: user.rpps ?? null,
    locale: user.locale,
    emailNotifications: user.emailNotifications,
    sessionIdleExpiresAt: session.idleExpiresAt,
    sessionAbsoluteExpiresAt: session.absoluteExpiresAt,
    idleTimeoutSeconds: Math.round(idleMinutes * 60),
  };
}

function toAccountRequest(r: AccountRequestEntity): AccountRequest {
  return {
    id: r.id,
    firstName: r.firstName,
    lastName: r.lastName,
    email: r.email,
    rpps: r.rpps,
    phone: r.phone ?? null,
    status: r.status,
    rejectionReason: r.rejectionReason ?? null,
    createdAt: r.createdAt,
    decidedAt: r.decidedAt ?? null,
  };
}

@Resolver()
export class AuthResolver {
  @Query(() => Me, { nullable: true, description: 'Null without a session' })
  me(@Ctx() ctx: Context): Me | null {
    const v = ctx.viewer;
    // From the session's row as read on this request (a query changes neither entity): no
    // entity is made for it.
    if (v.kind !== 'user') return null;
    const c = v.caller;
    const user = { id: c.userId, email: c.email, firstName: c.firstName, lastName: c.lastName, displayName: `${c.firstName} ${c.lastName}`, role: c.role, rpps: c.rpps, locale: c.locale, emailNotifications: c.emailNotifications };
    return toMe(user, { idleExpiresAt: c.idleExpiresAt, absoluteExpiresAt: c.absoluteExpiresAt }, ctx.deps.config.sessionIdleMinutes);
  }

  @Mutation(() => Me, { description: 'Opens a session (HttpOnly cookie). 3 failures lock the account for 5 minutes.' })
  async login(@Ctx() ctx: Context, @Arg('email', () => String) email: string, @Arg('password', () => String) password: string): Promise<Me> {
    const { user, session } = await auth.login(ctx, email, password);
    return toMe(user, session, ctx.deps.config.sessionIdleMinutes);
  }

  @Mutation(() => Boolean)
  logout(@Ctx() ctx: Context): Promise<boolean> {
    return auth.logout(ctx);
  }

  @Mutation(() => Boolean, { description: 'Public form; an administrator approves it. Same answer in every case.' })
  requestAccount(@Ctx() ctx: Context, @Arg('input', () => AccountRequestInput) input: AccountRequestInput): Promise<boolean> {
    return auth.requestAccount(ctx, input);
  }

  @Mutation(() => Boolean)
  activateAccount(@Ctx() ctx: Context, @Arg('token', () => String) token: string, @Arg('password', () => String) password: string): Promise<boolean> {
    return auth.activateAccount(ctx, token, password);
  }

  @Mutation(() => Boolean, { description: 'Always true, whether or not the account exists' })
  requestPasswordReset(@Ctx() ctx: Context, @Arg('email', () => String) email: string): Promise<boolean> {
    return auth.requestPasswordReset(ctx, email);
  }

  @Mutation(() => Boolean)
  resetPassword(@Ctx() ctx: Context, @Arg('token', () => String) token: string, @Arg('password', () => String) password: string): Promise<boolean> {
    return auth.resetPassword(ctx, token, password);
  }

  @Authorized()
  @Mutation(() => Me)
  async updatePreferences(@Ctx() ctx: Context, @Arg('input', () => PreferencesInput) input: PreferencesInput): Promise<Me> {
    const { user, session } = await auth.updatePreferences(ctx, input);
    return toMe(user, session, ctx.deps.config.sessionIdleMinutes);
  }

  @Authorized('ADMIN')
  @Query(() => [AccountRequest])
  async accountRequests(
    @Ctx() ctx: Context,
    @Arg('status', () => AccountRequestStatus, { nullable: true }) status?: AccountRequestStatus,
  ): Promise<AccountRequest[]> {
    return (await auth.listAccountRequests(ctx, status)).map(toAccountRequest);
  }

  @Authorized('ADMIN')
  @Mutation(() => AccountRequest, { description: 'Creates the account and e-mails an activation link' })
  async approveAccountRequest(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<AccountRequest> {
    return toAccountRequest(await auth.approveAccountRequest(ctx, id));
  }

  @Authorized('ADMIN')
  @Mutation(() => AccountRequest)
  async rejectAccountRequest(
    @Ctx() ctx: Context,
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String, { nullable: true }) reason?: string,
  ): Promise<AccountRequest> {
    return toAccountRequest(await auth.rejectAccountRequest(ctx, id, reason ?? null));
  }
}
