import { Arg, Authorized, Ctx, Field, ID, Mutation, ObjectType, Query, registerEnumType, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { disableUser, enableUser, listUsers, resetUserSecondFactor, unlockUser, type AccountState } from './account.admin.js';
import { Role, UserStatus } from './user.entity.js';

registerEnumType(UserStatus, { name: 'UserStatus', description: 'PENDING_ACTIVATION until the person sets a password; DISABLED by an administrator' });

@ObjectType({ description: 'Administrators: an account (never its password hash)' })
export class UserAccount {
  @Field(() => ID) id!: string;
  @Field(() => String) email!: string;
  @Field(() => String) firstName!: string;
  @Field(() => String) lastName!: string;
  @Field(() => Role) role!: Role;
  @Field(() => String, { nullable: true }) rpps!: string | null;
  @Field(() => UserStatus) status!: UserStatus;
  @Field(() => Date, { nullable: true, description: 'Set while failed logins keep the account locked' }) lockedUntil!: Date | null;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date, { nullable: true }) activatedAt!: Date | null;
  @Field(() => Boolean, { description: 'Has an authenticator app or a passkey' }) secondFactor!: boolean;
}

const toAccount = ({ user: u, lockedUntil, secondFactor }: AccountState): UserAccount => ({
  id: u.id,
  email: u.email,
  firstName: u.firstName,
  lastName: u.lastName,
  role: u.role,
  rpps: u.rpps ?? null,
  status: u.status,
  lockedUntil,
  createdAt: u.createdAt,
  activatedAt: u.activatedAt ?? null,
  secondFactor,
});

@Resolver()
export class AccountAdminResolver {
  @Authorized('ADMIN')
  @Query(() => [UserAccount], { description: 'Administrators: accounts by last name (500 at most), by role and a part of a name, e-mail or RPPS' })
  async users(
    @Ctx() ctx: Context,
    @Arg('role', () => Role, { nullable: true }) role: Role | null,
    @Arg('search', () => String, { nullable: true }) search: string | null,
  ): Promise<UserAccount[]> {
    return (await listUsers(ctx, { role, search })).map(toAccount);
  }

  @Authorized('ADMIN')
  @Mutation(() => UserAccount, { description: 'Administrators: lifts a lock left by failed logins' })
  async unlockUser(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<UserAccount> {
    return toAccount(await unlockUser(ctx, id));
  }

  @Authorized('ADMIN')
  @Mutation(() => UserAccount, { description: 'Administrators: the person can no longer log in; their open sessions end at once' })
  async disableUser(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<UserAccount> {
    return toAccount(await disableUser(ctx, id));
  }

  @Authorized('ADMIN')
  @Mutation(() => UserAccount, { description: 'Administrators: removes the person’s second factors and recovery codes (they are told by e-mail)' })
  async resetSecondFactor(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<UserAccount> {
    return toAccount(await resetUserSecondFactor(ctx, id));
  }

  @Authorized('ADMIN')
  @Mutation(() => UserAccount, { description: 'Administrators: a disabled account can log in again (or be activated, if it never was)' })
  async enableUser(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<UserAccount> {
    return toAccount(await enableUser(ctx, id));
  }
}
