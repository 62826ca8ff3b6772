import { Migration } from '@mikro-orm/migrations';
import { searchNameOf } from '../../../modules/patient/patient-identity.service.js';

const BATCH = 5000;

/**
 * A physician finds a patient by the names of the administrative records they may see (ADR
 * 0097), not by the patient row, which mirrors the newest record of any centre: each record
 * gets its own folded names. The folding is JavaScript's (Unicode marks, ligatures), which SQL
 * cannot reproduce exactly, so existing rows are filled here, in batches, before NOT NULL.
 */
export class Migration20261205170000_RecordSearchName extends Migration {
  override async up(): Promise<void> {
    await this.execute(`alter table "administrative_record" add column "search_name" text null`);
    for (;;) {
      const rows = (await this.execute(
        `select id, first_name as "firstName", last_name as "lastName", birth_name as "birthName"
           from administrative_record where search_name is null limit ${BATCH}`,
      )) as Array<{ id: string; firstName: string; lastName: string; birthName: string | null }>;
      if (rows.length === 0) break;
      const values = rows.map((r) => ({ id: r.id, s: searchNameOf(r) }));
      await this.execute(
        `update administrative_record r set search_name = v.s from jsonb_to_recordset(?::jsonb) as v(id uuid, s text) where r.id = v.id`,
        [JSON.stringify(values)],
      );
    }
    await this.execute(`alter table "administrative_record" alter column "search_name" set not null`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "administrative_record" drop column "search_name"`);
  }
}
