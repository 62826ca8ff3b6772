import { Migration } from '@mikro-orm/migrations';

/**
 * What WADO-RS and the portal need to serve an instance without re-parsing it: where its bulk
 * data and its Encapsulated Document lie in the stored file, whether frames can be served by byte
 * range, its content hash; a case- and accent-folded patient name for QIDO; the indexes the
 * read authorisation joins on.
 */
export class Migration20261128012000_DicomwebIndex extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "dicom_instance" add column "sha256" text null, add column "frames_need_extraction" boolean not null default false, add column "bulk_data" jsonb not null default '{}', add column "encapsulated_document_offset" bigint null, add column "encapsulated_document_length" bigint null, add column "encapsulated_document_mime_type" text null`);
    this.addSql(`alter table "dicom_study" add column "patient_name_search" text null`);
    this.addSql(`create index "dicom_study_study_date_index" on "dicom_study" ("study_date")`);
    this.addSql(`create index "dicom_study_facility_id_index" on "dicom_study" ("facility_id")`);
    this.addSql(`create index "document_study_instance_uid_index" on "document" ("study_instance_uid")`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "document_study_instance_uid_index"`);
    this.addSql(`drop index "dicom_study_facility_id_index"`);
    this.addSql(`drop index "dicom_study_study_date_index"`);
    this.addSql(`alter table "dicom_study" drop column "patient_name_search"`);
    this.addSql(`alter table "dicom_instance" drop column "sha256", drop column "frames_need_extraction", drop column "bulk_data", drop column "encapsulated_document_offset", drop column "encapsulated_document_length", drop column "encapsulated_document_mime_type"`);
  }
}
