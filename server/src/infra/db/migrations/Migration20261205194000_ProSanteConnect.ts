import { Migration } from '@mikro-orm/migrations';

/**
 * Pro Santé Connect login (ADR 0123). `oidc_login` holds a login under way between the redirect
 * to the provider and its callback: its state (hashed), the browser it belongs to (the hash of
 * a cookie), the nonce and the PKCE verifier; a row is deleted when its callback comes, so a
 * state works once. `oidc_session` keeps the ID token of a session opened through the provider,
 * for the provider's logout (id_token_hint); it goes with its session.
 */
export class Migration20261205194000_ProSanteConnect extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "oidc_login" ("state_hash" text not null, "browser_hash" text not null, "nonce" text not null, "code_verifier" text not null, "expires_at" timestamptz not null, constraint "oidc_login_pkey" primary key ("state_hash"))`);
    this.addSql(`create index "oidc_login_expires_at_index" on "oidc_login" ("expires_at")`);
    this.addSql(`create table "oidc_session" ("session_id" uuid not null, "id_token" text not null, constraint "oidc_session_pkey" primary key ("session_id"), constraint "oidc_session_session_id_foreign" foreign key ("session_id") references "session" ("id") on delete cascade)`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "oidc_session"`);
    this.addSql(`drop table if exists "oidc_login"`);
  }
}
