import { Migration } from '@mikro-orm/migrations';

/**
 * Activation and password-reset mails carry their single-use token, and the outbox renders
 * mails at send time from the row's payload. This trigger drops the token from the payload in
 * the statement that marks the row sent (or finally failed, or cancelled), so the only lasting
 * trace of a link is its hash in `user_token` (ADR 0017).
 */
export class Migration20261128011000_AuthLinkScrub extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create function auth_link_scrub_token() returns trigger language plpgsql as $$
begin
  new.payload := new.payload - 'token';
  return new;
end $$`);
    this.addSql(`create trigger "outbox_message_auth_link_scrub" before update on "outbox_message" for each row
  when (new.template in ('auth.activation', 'auth.password-reset') and (new.sent_at is not null or new.failed_at is not null) and new.payload ? 'token')
  execute function auth_link_scrub_token()`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists "outbox_message_auth_link_scrub" on "outbox_message"`);
    this.addSql(`drop function if exists auth_link_scrub_token()`);
  }
}
