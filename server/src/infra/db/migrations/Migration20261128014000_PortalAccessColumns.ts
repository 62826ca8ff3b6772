import { Migration } from '@mikro-orm/migrations';

/**
 * The dashboard groups a physician's access rows by patient and sorts by the newest exam date.
 * Read through `exam` that is one random heap visit per access row (10,000 for a physician with
 * 2,000 patients: ~100 ms, see docs/benchmarks.md "Portal"). Copying the exam's patient, date and
 * published state onto `exam_access`, kept equal by triggers whatever code writes either table,
 * lets one index-only scan of (physician_id, patient_id) answer it.
 */
export class Migration20261128014000_PortalAccessColumns extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "exam_access" add column "patient_id" uuid null, add column "exam_date" timestamptz null, add column "exam_published" boolean not null default false`);
    this.addSql(`update "exam_access" a set "patient_id" = e."patient_id", "exam_date" = e."date", "exam_published" = (e."status" = 'PUBLISHED') from "exam" e where e."id" = a."exam_id"`);
    this.addSql(`create function portal_access_from_exam() returns trigger language plpgsql as $$
begin
  select e.patient_id, e.date, e.status = 'PUBLISHED' into new.patient_id, new.exam_date, new.exam_published from exam e where e.id = new.exam_id;
  return new;
end $$`);
    this.addSql(`create trigger portal_exam_access_copy before insert or update of exam_id on "exam_access" for each row execute function portal_access_from_exam()`);
    this.addSql(`create function portal_exam_to_access() returns trigger language plpgsql as $$
begin
  update exam_access set patient_id = new.patient_id, exam_date = new.date, exam_published = (new.status = 'PUBLISHED') where exam_id = new.id;
  return null;
end $$`);
    this.addSql(`create trigger portal_exam_copy after update of patient_id, date, status on "exam" for each row
      when (old.patient_id is distinct from new.patient_id or old.date is distinct from new.date or old.status is distinct from new.status)
      execute function portal_exam_to_access()`);
    this.addSql(`create index "exam_access_portal_index" on "exam_access" ("physician_id", "patient_id") include ("exam_date", "first_opened_at") where "exam_published"`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "exam_access_portal_index"`);
    this.addSql(`drop trigger portal_exam_copy on "exam"`);
    this.addSql(`drop function portal_exam_to_access()`);
    this.addSql(`drop trigger portal_exam_access_copy on "exam_access"`);
    this.addSql(`drop function portal_access_from_exam()`);
    this.addSql(`alter table "exam_access" drop column "patient_id", drop column "exam_date", drop column "exam_published"`);
  }
}
