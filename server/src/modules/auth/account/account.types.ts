import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Me } from '../auth.types.js';

export enum SecondFactorKind {
  TOTP = 'TOTP',
  PASSKEY = 'PASSKEY',
}
registerEnumType(SecondFactorKind, { name: 'SecondFactorKind', description: 'TOTP: an authenticator app; PASSKEY: WebAuthn' });

@ObjectType({ description: 'A session open on the caller’s own account' })
export class ActiveSession {
  @Field(() => ID) id!: string;
  @Field(() => String, { description: 'Browser and system, from the User-Agent' }) device!: string;
  @Field(() => String, { nullable: true }) ip!: string | null;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date) lastSeenAt!: Date;
  @Field(() => Boolean, { description: 'The session of this request' }) current!: boolean;
}

@ObjectType({ description: 'A second factor of the caller’s account (never its secret)' })
export class SecondFactor {
  @Field(() => ID) id!: string;
  @Field(() => SecondFactorKind) kind!: SecondFactorKind;
  @Field(() => String) label!: string;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date, { nullable: true }) lastUsedAt!: Date | null;
}

@ObjectType()
export class AccountSecurity {
  @Field(() => [SecondFactor]) factors!: SecondFactor[];
  @Field(() => Int, { description: 'Unused recovery codes' }) recoveryCodesLeft!: number;
  @Field(() => Boolean, { description: 'Whether this account’s role must have a second factor' }) secondFactorRequired!: boolean;
}

@ObjectType({ description: 'A secret for an authenticator app, to confirm with a code' })
export class TotpEnrolment {
  @Field(() => String, { description: 'Base32, for typing into the app' }) secret!: string;
  @Field(() => String) otpauthUri!: string;
  @Field(() => String, { description: 'The otpauth URI as an SVG QR code (data: URL)' }) qrCodeDataUrl!: string;
}

@ObjectType()
export class EnrolmentResult {
  @Field(() => [String], { description: 'Ten single-use recovery codes, shown once; empty when the account still had some' })
  recoveryCodes!: string[];
  @Field(() => Me, { nullable: true, description: 'The session a login held for enrolment opened; null from « Mon compte »' })
  me!: Me | null;
}
