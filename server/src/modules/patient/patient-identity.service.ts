import type { EntityManager } from '@mikro-orm/postgresql';
import type { Sex } from './patient.entity.js';

/** The administrative data of one patient exactly as one facility sent it (already validated). */
export interface PatientRecordData {
  ipp: string;
  /** INS matricule (NIR with its key), the cross-facility identity when the facility sends it. */
  ins: string | null;
  lastName: string;
  firstName: string;
  birthName: string | null;
  birthDate: string | null;
  sex: Sex | null;
  addressLine: string | null;
  postalCode: string | null;
  city: string | null;
  phone: string | null;
}

// Ligatures do not decompose under NFD: "Œhmichen" must still be found by "oehmichen".
const LIGATURES: Record<string, string> = { œ: 'oe', æ: 'ae', ß: 'ss' };

/** Lower case, accents and ligatures removed: "Hélène" → "helene", "Œhmichen" → "oehmichen". */
export function foldName(value: string): string {
  return value
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[œæß]/g, (c) => LIGATURES[c] ?? c);
}

/**
 * The dashboard filter's haystack: the distinct folded words of the first, last and birth names,
 * in that order, split on spaces, hyphens and apostrophes ("helene dupont moreau"). A filter
 * matches when its folded words are prefixes of these words.
 */
export function searchNameOf(names: { firstName: string; lastName: string; birthName?: string | null }): string {
  const words = [names.firstName, names.lastName, names.birthName ?? '']
    .flatMap((n) => foldName(n).split(/[^\p{L}\p{N}]+/u))
    .filter((w) => w !== '');
  return [...new Set(words)].join(' ');
}

/**
 * Serialises concurrent publications that could create the same patient or record (same INS,
 * same facility IPP) or the same exam: the identity decision below reads, then writes, and two
 * first publications deciding at once would both create. Keys are taken in one statement, in a
 * fixed order (unnest keeps the array's order), so two transactions cannot wait on each other.
 */
export async function lockIdentityKeys(tx: EntityManager, keys: string[]): Promise<void> {
  const sorted = [...new Set(keys)].sort();
  await tx.execute(
    'select pg_advisory_xact_lock(hashtextextended(k, 0)) from jsonb_array_elements_text(?::jsonb) as t(k)',
    [JSON.stringify(sorted)],
  );
}

export function identityLockKeys(facilityId: string, data: Pick<PatientRecordData, 'ipp' | 'ins'>): string[] {
  return [`record:${facilityId}:${data.ipp}`, ...(data.ins ? [`ins:${data.ins}`] : [])];
}

/**
 * Finds or creates the patient behind a facility's record, inside the publishing transaction
 * (the caller holds the `identityLockKeys` locks), in one statement; returns the patient's id.
 *
 * - With an INS, the INS decides: the patient holding it, else the patient of this facility's
 *   IPP record if that patient has no INS yet (it gains this one), else a new patient. A record
 *   that pointed at a patient with another INS moves to the INS patient: the facility corrected
 *   its identity.
 * - Without an INS, the facility's IPP record decides, else a new patient. Records of different
 *   facilities are never merged on names and birth dates alone: a wrong merge would show one
 *   person's results to another person's physicians.
 *
 * The patient's identity fields then mirror this latest record, and the record is upserted.
 * Both writes are upserts, so a writer that did not take the locks cannot make this one fail
 * on the record's key; a new INS created meanwhile by such a writer fails on patient_ins_unique,
 * which the caller retries (the retry finds that patient).
 */
export async function upsertPatientFromRecord(tx: EntityManager, facilityId: string, data: PatientRecordData): Promise<string> {
  const rows = await tx.execute<Array<{ patientId: string }>>(
    `with input as (
       select ?::text as ipp, ?::text as ins, ?::text as last_name, ?::text as first_name, ?::text as birth_name,
              ?::date as birth_date, ?::text as sex, ?::text as search_name, ?::text as address_line,
              ?::text as postal_code, ?::text as city, ?::text as phone, ?::uuid as facility_id
     ),
     record as (
       select r.patient_id, p.ins from administrative_record r join patient p on p.id = r.patient_id
        where r.facility_id = (select facility_id from input) and r.ipp = (select ipp from input)
     ),
     chosen as (
       select coalesce(
         (select p.id from patient p where p.ins = (select ins from input)),
         (select r.patient_id from record r where (select ins from input) is null or r.ins is null)
       ) as id
     ),
     patient_row as (
       insert into patient as p (id, ins, last_name, first_name, birth_name, birth_date, sex, search_name, created_at, updated_at)
       select coalesce(c.id, gen_random_uuid()), i.ins, i.last_name, i.first_name, i.birth_name, i.birth_date, i.sex, i.search_name, now(), now()
         from input i, chosen c
       on conflict (id) do update set ins = coalesce(excluded.ins, p.ins), last_name = excluded.last_name, first_name = excluded.first_name,
         birth_name = excluded.birth_name, birth_date = excluded.birth_date, sex = excluded.sex, search_name = excluded.search_name, updated_at = now()
       returning p.id
     )
     insert into administrative_record as r (id, patient_id, facility_id, ipp, ins, last_name, first_name, birth_name, birth_date, sex,
                                             search_name, address_line, postal_code, city, phone, received_at)
     select gen_random_uuid(), p.id, i.facility_id, i.ipp, i.ins, i.last_name, i.first_name, i.birth_name, i.birth_date, i.sex,
            i.search_name, i.address_line, i.postal_code, i.city, i.phone, now()
       from input i, patient_row p
     on conflict (facility_id, ipp) do update set patient_id = excluded.patient_id, ins = excluded.ins, last_name = excluded.last_name,
       first_name = excluded.first_name, birth_name = excluded.birth_name, birth_date = excluded.birth_date, sex = excluded.sex,
       search_name = excluded.search_name, address_line = excluded.address_line, postal_code = excluded.postal_code, city = excluded.city, phone = excluded.phone,
       received_at = excluded.received_at
     returning r.patient_id as "patientId"`,
    [
      data.ipp, data.ins, data.lastName, data.firstName, data.birthName, data.birthDate, data.sex, searchNameOf(data),
      data.addressLine, data.postalCode, data.city, data.phone, facilityId,
    ],
  );
  const patientId = rows[0]?.patientId;
  if (!patientId) throw new Error('patient upsert returned no row');
  return patientId;
}
