import { Migration } from '@mikro-orm/migrations';

/**
 * A Pro Santé Connect login remembers the page the person was going to (the login page's
 * `suite`, e.g. a record linked from a notification e-mail), to land there after the callback.
 */
export class Migration20261205201500_OidcLoginReturn extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "oidc_login" add column "return_to" text null`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "oidc_login" drop column "return_to"`);
  }
}
