import { Migration } from '@mikro-orm/migrations';

/**
 * Share grants and the scrubbing of share tokens from the outbox (ADRs 0060 and 0061).
 *
 * `share_grant`: what the link `/s/<token>` is exchanged for — an opaque random value held in an
 * HttpOnly cookie, stored here as its SHA-256 only, tied to one share, with an idle expiry that
 * slides on use and never passes the share's own expiry.
 *
 * The invitation mail must carry the share token (link and QR code), and the outbox renders
 * mails at send time from the row's payload. A row-level trigger drops the token from the
 * payload in the very statement that marks the row sent (or finally failed), so no copy of the
 * token outlives its delivery, whichever replica sends it.
 */
export class Migration20261128016000_ShareGrant extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "share_grant" ("id" uuid not null, "share_id" uuid not null, "token_hash" text not null, "created_at" timestamptz not null, "last_seen_at" timestamptz not null, "idle_expires_at" timestamptz not null, constraint "share_grant_pkey" primary key ("id"))`);
    this.addSql(`alter table "share_grant" add constraint "share_grant_token_hash_unique" unique ("token_hash")`);
    this.addSql(`create index "share_grant_share_id_index" on "share_grant" ("share_id")`);
    this.addSql(`alter table "share_grant" add constraint "share_grant_share_id_foreign" foreign key ("share_id") references "share" ("id") on update cascade on delete cascade`);
    this.addSql(`create index "share_document_id_index" on "share" ("document_id")`);

    this.addSql(`create function share_invitation_scrub_token() returns trigger language plpgsql as $$
begin
  new.payload := new.payload - 'token';
  return new;
end $$`);
    this.addSql(`create trigger "outbox_message_share_invitation_scrub" before update on "outbox_message" for each row
  when (new.template = 'share.invitation' and (new.sent_at is not null or new.failed_at is not null) and new.payload ? 'token')
  execute function share_invitation_scrub_token()`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists "outbox_message_share_invitation_scrub" on "outbox_message"`);
    this.addSql(`drop function if exists share_invitation_scrub_token()`);
    this.addSql(`drop table if exists "share_grant" cascade`);
    this.addSql(`drop index if exists "share_document_id_index"`);
  }
}
