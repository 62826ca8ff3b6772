import { randomBytes } from 'node:crypto';
import { Migration } from '@mikro-orm/migrations';

/**
 * Failed logins are counted per (identifier, client) and per identifier, for unknown e-mails
 * as for accounts, in `login_throttle`; the browsers an account has logged in from are kept in
 * `login_device` (ADR 0096). Both name an identifier only by a keyed hash whose key is drawn
 * here, once per database, so every replica shares it and no operator has to provide it.
 * The account's own counter and lock columns go: a lock left in them when this runs is lost,
 * which costs at most the rest of its 5 minutes.
 */
export class Migration20261205160000_LoginThrottle extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "server_secret" ("name" text not null, "value" text not null, constraint "server_secret_pkey" primary key ("name"))`);
    this.addSql(`insert into "server_secret" ("name", "value") values ('login-throttle', '${randomBytes(32).toString('hex')}')`);
    this.addSql(`create table "login_throttle" ("subject" text not null, "client" text not null, "failures" int not null, "locked_until" timestamptz null, "last_failure_at" timestamptz not null, constraint "login_throttle_pkey" primary key ("subject", "client"))`);
    this.addSql(`create index "login_throttle_last_failure_at_index" on "login_throttle" ("last_failure_at")`);
    this.addSql(`create table "login_device" ("subject" text not null, "device" text not null, "last_login_at" timestamptz not null, constraint "login_device_pkey" primary key ("subject", "device"))`);
    this.addSql(`create index "login_device_last_login_at_index" on "login_device" ("last_login_at")`);
    this.addSql(`alter table "app_user" drop column "failed_attempts", drop column "locked_until"`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "app_user" add column "failed_attempts" int not null default 0, add column "locked_until" timestamptz null`);
    this.addSql(`drop table if exists "login_device"`);
    this.addSql(`drop table if exists "login_throttle"`);
    this.addSql(`drop table if exists "server_secret"`);
  }
}
