import { Migration } from '@mikro-orm/migrations';

/**
 * Mail leaves the outbox outside any transaction (ADR 0101): a row is claimed in one short
 * statement and carries a claim token until it is marked sent or failed, so a replica whose
 * lease ran out cannot mark a row another replica has claimed since. `failure_kind` keeps why
 * the last attempt failed in terms a page can explain (never the relay's text, which stays in
 * `last_error` for the operator). A share whose invitation finally failed tells its creator
 * through a SHARE_UNDELIVERED notification (ADR 0102).
 */
export class Migration20261205163000_MailDelivery extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "outbox_message" add column "claim_token" uuid null, add column "failure_kind" text null`);
    this.addSql(`alter table "notification" drop constraint if exists "notification_kind_check"`);
    this.addSql(`alter table "notification" add constraint "notification_kind_check" check ("kind" in ('EXAM_AVAILABLE', 'SHARE_OPENED', 'SHARE_UNDELIVERED'))`);
  }

  override async down(): Promise<void> {
    this.addSql(`delete from "notification" where "kind" = 'SHARE_UNDELIVERED'`);
    this.addSql(`alter table "notification" drop constraint if exists "notification_kind_check"`);
    this.addSql(`alter table "notification" add constraint "notification_kind_check" check ("kind" in ('EXAM_AVAILABLE', 'SHARE_OPENED'))`);
    this.addSql(`alter table "outbox_message" drop column "claim_token", drop column "failure_kind"`);
  }
}
