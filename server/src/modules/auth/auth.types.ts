import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { AccountRequestStatus } from './account-request.entity.js';
import { Role } from './user.entity.js';

registerEnumType(Role, { name: 'Role' });
registerEnumType(AccountRequestStatus, { name: 'AccountRequestStatus' });

@ObjectType({ description: 'The signed-in user' })
export class Me {
  @Field(() => ID) id!: string;
  @Field(() => String) email!: string;
  @Field(() => String) firstName!: string;
  @Field(() => String) lastName!: string;
  @Field(() => String) displayName!: string;
  @Field(() => Role) role!: Role;
  @Field(() => String, { nullable: true }) rpps!: string | null;
  @Field(() => String) locale!: string;
  @Field(() => Boolean, { description: 'E-mail on new exams (the in-app notification always exists)' })
  emailNotifications!: boolean;
  @Field(() => Date, { description: 'When the session ends if idle (the server enforces it)' })
  sessionIdleExpiresAt!: Date;
  @Field(() => Date) sessionAbsoluteExpiresAt!: Date;
  @Field(() => Int) idleTimeoutSeconds!: number;
}

@ObjectType()
export class AccountRequest {
  @Field(() => ID) id!: string;
  @Field(() => String) firstName!: string;
  @Field(() => String) lastName!: string;
  @Field(() => String) email!: string;
  @Field(() => String) rpps!: string;
  @Field(() => String, { nullable: true }) phone!: string | null;
  @Field(() => AccountRequestStatus) status!: AccountRequestStatus;
  @Field(() => String, { nullable: true }) rejectionReason!: string | null;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date, { nullable: true }) decidedAt!: Date | null;
}

@InputType()
export class AccountRequestInput {
  @Field(() => String) firstName!: string;
  @Field(() => String) lastName!: string;
  @Field(() => String) email!: string;
  @Field(() => String, { description: 'RPPS number: 11 digits, the last one a Luhn check digit' }) rpps!: string;
  @Field(() => String, { nullable: true }) phone?: string | null;
}

@InputType()
export class PreferencesInput {
  @Field(() => Boolean, { nullable: true }) emailNotifications?: boolean | null;
  @Field(() => String, { nullable: true }) locale?: string | null;
}
