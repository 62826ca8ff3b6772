import { Migration } from '@mikro-orm/migrations';

/**
 * The audit trail of one user (ADR 0090) lists what they did *and* what was done to their
 * account (failed logins against it, locks, an administrator's changes): `target_user_id` gets
 * the same index as `actor_user_id`, so both halves are index scans.
 *
 * Built in the start-up migration's transaction, the index holds back writes to audit_event
 * (logins, openings) while it is built. On a large trail, build it beforehand without blocking:
 * `create index concurrently audit_event_target_user_id_at_index on audit_event (target_user_id, at)`;
 * this migration then finds it and does nothing.
 */
export class Migration20261128018000_AuditTargetIndex extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index if not exists "audit_event_target_user_id_at_index" on "audit_event" ("target_user_id", "at")`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "audit_event_target_user_id_at_index"`);
  }
}
