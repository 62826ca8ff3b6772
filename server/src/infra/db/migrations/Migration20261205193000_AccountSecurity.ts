import { Migration } from '@mikro-orm/migrations';

/**
 * Second factors (TOTP secrets, passkeys), hashed single-use recovery codes, logins waiting for
 * their second factor, and the pending WebAuthn ceremony of each account (ADR 0126).
 */
export class Migration20261205193000_AccountSecurity extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "second_factor" (
      "id" uuid not null, "user_id" uuid not null, "kind" text not null, "label" text not null,
      "created_at" timestamptz not null default now(), "confirmed_at" timestamptz null, "last_used_at" timestamptz null,
      "totp_secret" text null, "totp_last_step" bigint null,
      "credential_id" text null, "public_key" text null, "sign_count" bigint null, "transports" text null,
      constraint "second_factor_pkey" primary key ("id"),
      constraint "second_factor_kind_check" check ("kind" in ('TOTP', 'PASSKEY')),
      constraint "second_factor_credential_id_unique" unique ("credential_id"),
      constraint "second_factor_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade)`);
    this.addSql(`create index "second_factor_user_id_index" on "second_factor" ("user_id")`);
    this.addSql(`create table "recovery_code" (
      "id" uuid not null, "user_id" uuid not null, "code_hash" text not null,
      "created_at" timestamptz not null default now(), "used_at" timestamptz null,
      constraint "recovery_code_pkey" primary key ("id"),
      constraint "recovery_code_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade)`);
    this.addSql(`create index "recovery_code_user_id_index" on "recovery_code" ("user_id")`);
    this.addSql(`create table "login_challenge" (
      "token_hash" text not null, "user_id" uuid not null, "purpose" text not null,
      "created_at" timestamptz not null default now(), "expires_at" timestamptz not null, "used_at" timestamptz null,
      constraint "login_challenge_pkey" primary key ("token_hash"),
      constraint "login_challenge_purpose_check" check ("purpose" in ('VERIFY', 'ENROL')),
      constraint "login_challenge_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade)`);
    this.addSql(`create index "login_challenge_expires_at_index" on "login_challenge" ("expires_at")`);
    this.addSql(`create table "webauthn_challenge" (
      "user_id" uuid not null, "challenge" text not null, "purpose" text not null, "expires_at" timestamptz not null,
      constraint "webauthn_challenge_pkey" primary key ("user_id", "purpose"),
      constraint "webauthn_challenge_user_id_foreign" foreign key ("user_id") references "app_user" ("id") on update cascade on delete cascade)`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "webauthn_challenge"`);
    this.addSql(`drop table if exists "login_challenge"`);
    this.addSql(`drop table if exists "recovery_code"`);
    this.addSql(`drop table if exists "second_factor"`);
  }
}
