/**
 * The people and places of the demo world. All of them are fictitious: names are common French
 * names, identifiers are built with valid check keys from stems chosen for the demo, and e-mail
 * addresses use the reserved `.example` domain so no demo mail can reach a real mailbox.
 */
import { finessWithCheckDigit, nirKey, rppsWithCheckDigit } from '../../../common/identifiers.js';

export interface DemoAddress {
  readonly line: string;
  readonly postalCode: string;
  readonly city: string;
  readonly country: 'FR';
}

export interface DemoRadiologist {
  readonly rpps: string;
  readonly firstName: string;
  readonly lastName: string;
}

export interface DemoFacility {
  readonly key: string;
  readonly name: string;
  readonly finess: string;
  readonly address: DemoAddress;
  readonly phone: string;
  /** Short code used in accession numbers. */
  readonly code: string;
  /** Prefix of the IPPs this facility assigns. */
  readonly ippPrefix: string;
  readonly radiologist: DemoRadiologist;
}

export interface DemoPhysician {
  readonly key: string;
  readonly rpps: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly specialty: string;
  readonly city: string;
  readonly email: string;
  /** False for a physician named on exams who has not requested an account yet. */
  readonly hasAccount: boolean;
}

export interface DemoPatientIdentity {
  readonly key: string;
  readonly sex: 'F' | 'M';
  readonly firstName: string;
  /** Nom utilisé. */
  readonly lastName: string;
  /** Nom de naissance. */
  readonly birthName: string;
  /** ISO date. */
  readonly birthDate: string;
  /** INS: a NIR with its key, under the test OID since the person does not exist. */
  readonly ins: { readonly nir: string; readonly oid: string };
}

const address = (line: string, postalCode: string, city: string): DemoAddress => ({ line, postalCode, city, country: 'FR' });

/** OID of the INS-NIR *test* space (ANS): demo identities must never look like real ones. */
export const INS_NIR_TEST_OID = '1.2.250.1.213.1.4.10';

export const FACILITIES: readonly DemoFacility[] = [
  {
    key: 'nancy', name: "Centre d'imagerie de Nancy", finess: finessWithCheckDigit('54099001'),
    address: address('18 rue Stanislas', '54000', 'Nancy'), phone: '03 83 00 11 22', code: 'NCY', ippPrefix: '54',
    radiologist: { rpps: rppsWithCheckDigit('1009900101'), firstName: 'Paul', lastName: 'Girard' },
  },
  {
    key: 'metz', name: 'Imagerie médicale de Metz-Queuleu', finess: finessWithCheckDigit('57099002'),
    address: address('7 rue de Queuleu', '57070', 'Metz'), phone: '03 87 00 33 44', code: 'MTZ', ippPrefix: '57',
    radiologist: { rpps: rppsWithCheckDigit('1009900102'), firstName: 'Sophie', lastName: 'Weber' },
  },
  {
    key: 'epinal', name: 'Cabinet de radiologie des Vosges', finess: finessWithCheckDigit('88099003'),
    address: address('3 quai des Bons-Enfants', '88000', 'Épinal'), phone: '03 29 00 55 66', code: 'EPI', ippPrefix: '88',
    radiologist: { rpps: rppsWithCheckDigit('1009900103'), firstName: 'Antoine', lastName: 'Colin' },
  },
];

export const PHYSICIANS: readonly DemoPhysician[] = [
  {
    key: 'martin', rpps: rppsWithCheckDigit('1009900001'), firstName: 'Claire', lastName: 'Martin',
    specialty: 'Médecine générale', city: 'Nancy', email: 'claire.martin@e-mage.example', hasAccount: true,
  },
  {
    key: 'schmitt', rpps: rppsWithCheckDigit('1009900002'), firstName: 'Thomas', lastName: 'Schmitt',
    specialty: 'Cardiologie', city: 'Metz', email: 'thomas.schmitt@e-mage.example', hasAccount: true,
  },
  {
    key: 'paul-lambert', rpps: rppsWithCheckDigit('1009900003'), firstName: 'Paul', lastName: 'Lambert',
    specialty: 'Neurologie', city: 'Épinal', email: 'paul.lambert@e-mage.example', hasAccount: true,
  },
  {
    key: 'durand', rpps: rppsWithCheckDigit('1009900004'), firstName: 'Étienne', lastName: 'Durand',
    specialty: 'Gynécologie médicale', city: 'Lunéville', email: 'etienne.durand@e-mage.example', hasAccount: false,
  },
];

/**
 * The physician whose account the README and the start-up banner present first. Physicians with
 * `hasAccount` get a demo login (server/src/modules/demo/seed.ts), with these RPPS numbers.
 */
export const DEMO_LOGIN_PHYSICIAN_KEY = 'martin';

function ins(sex: 'F' | 'M', birthDate: string, department: string, commune: string, order: string): DemoPatientIdentity['ins'] {
  const stem = `${sex === 'M' ? 1 : 2}${birthDate.slice(2, 4)}${birthDate.slice(5, 7)}${department}${commune}${order}`;
  return { nir: stem + nirKey(stem), oid: INS_NIR_TEST_OID };
}

function patient(key: string, sex: 'F' | 'M', firstName: string, lastName: string, birthName: string, birthDate: string, department: string, commune: string, order: string): DemoPatientIdentity {
  return { key, sex, firstName, lastName, birthName, birthDate, ins: ins(sex, birthDate, department, commune, order) };
}

export const PATIENTS: readonly DemoPatientIdentity[] = [
  patient('dupont-moreau', 'F', 'Hélène', 'Dupont-Moreau', 'Moreau', '1961-03-12', '54', '395', '118'),
  patient('lefevre', 'F', 'Élodie', 'Lefèvre', 'Lefèvre', '1988-07-24', '54', '395', '342'),
  patient('nguyen', 'M', 'François', 'Nguyễn', 'Nguyễn', '1975-11-02', '57', '463', '027'),
  patient('batard', 'F', 'Zoé', 'Bâtard', 'Bâtard', '2001-01-15', '54', '547', '213'),
  patient('muller', 'M', 'Jean-Pierre', 'Muller', 'Muller', '1949-05-30', '57', '463', '451'),
  patient('lambert', 'F', 'Marie-Thérèse', 'Lambert', 'Haas', '1942-09-08', '88', '160', '034'),
  patient('rousseau-girard', 'F', 'Chloé', 'Rousseau-Girard', 'Rousseau', '1993-12-01', '54', '395', '507'),
  patient('francais', 'M', 'Noël', 'Français', 'Français', '1968-12-25', '2A', '004', '066'),
  patient('becker', 'F', 'Anaïs', 'Becker', 'Becker', '1980-04-17', '67', '482', '219'),
  patient('le-gall', 'M', 'Loïc', 'Le Gall', 'Le Gall', '1972-02-29', '29', '019', '318'),
  patient('schneider', 'F', 'Maëlle', 'Schneider', 'Thiébaut', '1985-06-06', '88', '160', '145'),
  patient('oehmichen', 'M', 'Gérard', 'Œhmichen', 'Œhmichen', '1955-10-10', '57', '672', '093'),
];

/** Street names for the patients' addresses, spread over Lorraine. */
export const PATIENT_ADDRESSES: readonly DemoAddress[] = [
  address('12 rue des Jardiniers', '54000', 'Nancy'),
  address('5 allée des Érables', '54500', 'Vandœuvre-lès-Nancy'),
  address('41 avenue Foch', '57000', 'Metz'),
  address('2 place Saint-Épvre', '54000', 'Nancy'),
  address('9 rue du Général-Leclerc', '88000', 'Épinal'),
  address('27 chemin des Vignes', '54600', 'Villers-lès-Nancy'),
  address("6 impasse de l'Église", '57050', 'Le Ban-Saint-Martin'),
  address('14 rue Gambetta', '54300', 'Lunéville'),
  address('3 rue de la Forêt', '88200', 'Remiremont'),
  address('30 boulevard de Scarpone', '54100', 'Nancy'),
  address('8 rue Serpenoise', '57000', 'Metz'),
  address('1 rue des Mésanges', '88100', 'Saint-Dié-des-Vosges'),
];

export function physicianByKey(key: string): DemoPhysician {
  const p = PHYSICIANS.find((x) => x.key === key);
  if (!p) throw new RangeError(`unknown demo physician ${key}`);
  return p;
}

export function facilityByKey(key: string): DemoFacility {
  const f = FACILITIES.find((x) => x.key === key);
  if (!f) throw new RangeError(`unknown demo facility ${key}`);
  return f;
}

export function patientByKey(key: string): DemoPatientIdentity {
  const p = PATIENTS.find((x) => x.key === key);
  if (!p) throw new RangeError(`unknown demo patient ${key}`);
  return p;
}
