import type { EntityManager } from '@mikro-orm/postgresql';
import type { Facility } from '../facility/facility.entity.js';
import { AdministrativeRecord, Patient, type Sex } from './patient.entity.js';

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
 * same facility IPP): without it two first publications race on the unique constraints and one
 * fails. Keys are taken in a fixed order so two transactions cannot wait on each other.
 */
export async function lockIdentityKeys(tx: EntityManager, keys: string[]): Promise<void> {
  for (const key of [...new Set(keys)].sort()) {
    await tx.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [key]);
  }
}

export function identityLockKeys(facility: Facility, data: Pick<PatientRecordData, 'ipp' | 'ins'>): string[] {
  return [`record:${facility.id}:${data.ipp}`, ...(data.ins ? [`ins:${data.ins}`] : [])];
}

/**
 * Finds or creates the patient behind a facility's record, inside the publishing transaction
 * (the caller holds the `identityLockKeys` locks).
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
 */
export async function upsertPatientFromRecord(tx: EntityManager, facility: Facility, data: PatientRecordData): Promise<{ patient: Patient; record: AdministrativeRecord }> {
  const record = await tx.findOne(AdministrativeRecord, { facility, ipp: data.ipp }, { populate: ['patient'] });
  let patient: Patient | null = null;
  if (data.ins) {
    patient = await tx.findOne(Patient, { ins: data.ins });
    if (!patient && record && !record.patient.ins) patient = record.patient;
  } else if (record) {
    patient = record.patient;
  }
  const identity = {
    lastName: data.lastName,
    firstName: data.firstName,
    birthName: data.birthName,
    birthDate: data.birthDate,
    sex: data.sex,
    searchName: searchNameOf(data),
  };
  if (patient) {
    tx.assign(patient, data.ins ? { ...identity, ins: data.ins } : identity);
  } else {
    patient = tx.create(Patient, { ...identity, ins: data.ins });
  }
  const fields = {
    patient,
    ins: data.ins,
    lastName: data.lastName,
    firstName: data.firstName,
    birthName: data.birthName,
    birthDate: data.birthDate,
    sex: data.sex,
    addressLine: data.addressLine,
    postalCode: data.postalCode,
    city: data.city,
    phone: data.phone,
    receivedAt: new Date(),
  };
  const saved = record ? tx.assign(record, fields) : tx.create(AdministrativeRecord, { ...fields, facility, ipp: data.ipp });
  return { patient, record: saved };
}
