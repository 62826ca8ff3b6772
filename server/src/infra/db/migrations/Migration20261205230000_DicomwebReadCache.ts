import { Migration } from '@mikro-orm/migrations';

/**
 * Every replica's DICOMweb read cache (ADR 0136) is dropped when something it may hold could
 * now allow less: a trigger on each table its decisions come from notifies the portal's events
 * channel (the pubsub envelope of the topic `dicomweb-read-cache`, no payload) in the writing
 * transaction, so the notification leaves at commit. Only the changes that can narrow access
 * notify: a session revoked, shortened or handed to another user or token (not the touch that
 * slides it forward), any update or deletion of a user, an exam, its access rows, a document or
 * an indexed instance, and a study or series deleted or renumbered (not STOW's upsert of their
 * other columns). Inserts only widen access, and the cache keeps only what was allowed.
 */
const TABLES_ANY_CHANGE = ['app_user', 'exam', 'exam_access', 'document', 'dicom_instance'];
const NOTIFY = `'emage_events', '{"topic":"dicomweb-read-cache","payload":null}'`;

export class Migration20261205230000_DicomwebReadCache extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create or replace function dicomweb_read_cache_notify() returns trigger language plpgsql as $$
      begin
        perform pg_notify(${NOTIFY});
        return null;
      end $$`);
    for (const table of TABLES_ANY_CHANGE) {
      this.addSql(`create trigger dicomweb_read_cache_${table} after update or delete or truncate on "${table}" for each statement execute function dicomweb_read_cache_notify()`);
    }
    this.addSql(`create trigger dicomweb_read_cache_session_update after update on "session" for each row
      when (old.revoked_at is distinct from new.revoked_at or old.token_hash is distinct from new.token_hash or old.user_id is distinct from new.user_id
            or new.absolute_expires_at < old.absolute_expires_at or new.idle_expires_at < old.idle_expires_at or new.last_seen_at < old.last_seen_at)
      execute function dicomweb_read_cache_notify()`);
    this.addSql(`create trigger dicomweb_read_cache_session_delete after delete or truncate on "session" for each statement execute function dicomweb_read_cache_notify()`);
    this.addSql(`create trigger dicomweb_read_cache_dicom_study_update after update on "dicom_study" for each row
      when (old.study_instance_uid is distinct from new.study_instance_uid) execute function dicomweb_read_cache_notify()`);
    this.addSql(`create trigger dicomweb_read_cache_dicom_study_delete after delete or truncate on "dicom_study" for each statement execute function dicomweb_read_cache_notify()`);
    this.addSql(`create trigger dicomweb_read_cache_dicom_series_update after update on "dicom_series" for each row
      when (old.series_instance_uid is distinct from new.series_instance_uid or old.study_id is distinct from new.study_id) execute function dicomweb_read_cache_notify()`);
    this.addSql(`create trigger dicomweb_read_cache_dicom_series_delete after delete or truncate on "dicom_series" for each statement execute function dicomweb_read_cache_notify()`);
  }

  override async down(): Promise<void> {
    for (const table of TABLES_ANY_CHANGE) this.addSql(`drop trigger if exists dicomweb_read_cache_${table} on "${table}"`);
    for (const [name, table] of [
      ['session_update', 'session'],
      ['session_delete', 'session'],
      ['dicom_study_update', 'dicom_study'],
      ['dicom_study_delete', 'dicom_study'],
      ['dicom_series_update', 'dicom_series'],
      ['dicom_series_delete', 'dicom_series'],
    ]) {
      this.addSql(`drop trigger if exists dicomweb_read_cache_${name} on "${table}"`);
    }
    this.addSql(`drop function if exists dicomweb_read_cache_notify()`);
  }
}
