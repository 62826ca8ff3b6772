import { Migration } from '@mikro-orm/migrations';

/**
 * The DICOMweb index keeps DA as YYYYMMDD and TM as HHMMSS[.F] (ADR 0103, 0104): studies stored
 * before carried the file's ACR-NEMA forms (`1994.01.30`, `10:20:30`) as they were, which QIDO
 * date and time ranges could not match. Those are rewritten; a value in neither form is no date
 * and is emptied, as a new STOW leaves it.
 */
export class Migration20261205171000_DicomDates extends Migration {
  override async up(): Promise<void> {
    for (const column of ['study_date', 'patient_birth_date']) {
      this.addSql(`update "dicom_study" set "${column}" = replace("${column}", '.', '') where "${column}" ~ '^\\d{4}\\.\\d{2}\\.\\d{2}$'`);
      this.addSql(`update "dicom_study" set "${column}" = null where "${column}" !~ '^\\d{8}$'`);
    }
    this.addSql(`update "dicom_study" set "study_time" = replace("study_time", ':', '') where "study_time" ~ '^\\d{2}(:\\d{2}(:\\d{2}(\\.\\d{1,6})?)?)?$'`);
    this.addSql(`update "dicom_study" set "study_time" = null where "study_time" !~ '^\\d{2}(\\d{2}(\\d{2}(\\.\\d{1,6})?)?)?$'`);
  }

  override async down(): Promise<void> {
    // The original forms are still in each stored file and its metadata; nothing to restore.
  }
}
