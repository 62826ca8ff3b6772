/**
 * The demo world as plain data, plus lazy producers of the DICOM files an imaging centre would
 * push for each exam. Nothing heavy happens in `buildDemoDataset`: pixels and PDFs are made only
 * when a document's `instances()` (or `pdf()`) is iterated, one instance at a time.
 *
 * Everything derives from the seed, except dates, which are relative to `now` so the demo always
 * shows recent activity. UIDs depend on the seed and exam only, so seeding again re-sends the
 * same instances (STOW-RS answers "already stored") and re-publishes the same exams.
 */
import { generateCtSeries, type CtSeriesOptions } from './ct-phantom.js';
import { uidFromName } from './dicom-writer.js';
import { generateEncapsulatedPdf } from './encapsulated-pdf.js';
import { frenchDate, renderPdfReport } from './pdf-report.js';
import {
  FACILITIES,
  PATIENT_ADDRESSES,
  PATIENTS,
  PHYSICIANS,
  facilityByKey,
  patientByKey,
  physicianByKey,
  type DemoAddress,
  type DemoFacility,
  type DemoPatientIdentity,
  type DemoPhysician,
} from './people.js';
import { createPrng, hashSeed, type Prng } from './prng.js';
import { reportSections } from './report-texts.js';
import type { GeneratedInstance, StudyContext } from './study-context.js';
import { generateUsCine, type UsCineOptions } from './us-cine.js';

export type { DemoAddress, DemoFacility, DemoPatientIdentity, DemoPhysician } from './people.js';
export type { GeneratedInstance } from './study-context.js';

export const DEFAULT_DEMO_SEED = 20211014;

/** What a facility knows about a patient and sends with `publishExam`. */
export interface DemoAdministrativeRecord {
  readonly facilityKey: string;
  readonly finess: string;
  /** Identifiant permanent du patient in that facility. */
  readonly ipp: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly birthName: string;
  readonly birthDate: string;
  readonly sex: 'F' | 'M';
  readonly address: DemoAddress;
  readonly phone: string;
  readonly insNir: string;
  readonly insOid: string;
  /** When the facility last sent this record. */
  readonly receivedAt: Date;
}

export interface DemoPatient extends DemoPatientIdentity {
  readonly records: readonly DemoAdministrativeRecord[];
}

export type ImagingGenerator = 'ct-thorax' | 'ct-head' | 'us-neck' | 'us-neck-short';

interface DocumentBase {
  readonly title: string;
  readonly date: Date;
  readonly seriesInstanceUid: string;
  readonly instanceCount: number;
  /** The DICOM Part 10 files of this document, made on demand. */
  instances(): Iterable<GeneratedInstance>;
}

export interface DemoImagingDocument extends DocumentBase {
  readonly type: 'IMAGING';
  readonly modality: 'CT' | 'US';
  readonly generator: ImagingGenerator;
}

export interface DemoReportDocument extends DocumentBase {
  readonly type: 'REPORT';
  readonly modality: 'DOC';
  readonly sopInstanceUid: string;
  /** The report itself, as a PDF file. */
  pdf(): Buffer;
}

export type DemoDocument = DemoImagingDocument | DemoReportDocument;

export interface DemoExam {
  readonly key: string;
  readonly patientKey: string;
  readonly facilityKey: string;
  readonly accessionNumber: string;
  readonly studyInstanceUid: string;
  readonly title: string;
  readonly date: Date;
  readonly modalities: readonly string[];
  readonly prescriberRpps: string;
  readonly correspondentRpps: readonly string[];
  /** The facility's record of the patient, as sent with this exam. */
  readonly patientRecord: DemoAdministrativeRecord;
  readonly documents: readonly DemoDocument[];
  /** Every DICOM instance of the exam (images, then the report), made on demand. */
  instances(): Iterable<GeneratedInstance>;
}

export interface DemoDataset {
  readonly seed: number;
  readonly now: Date;
  readonly facilities: readonly DemoFacility[];
  readonly physicians: readonly DemoPhysician[];
  readonly patients: readonly DemoPatient[];
  readonly exams: readonly DemoExam[];
}

export interface BuildDemoDatasetOptions {
  readonly seed?: number;
  /** Reference for relative dates; defaults to the current time. */
  readonly now?: Date;
}

interface ExamPlan {
  readonly key: string;
  readonly patient: string;
  readonly facility: string;
  readonly title: string;
  readonly daysAgo: number;
  readonly prescriber: string;
  readonly correspondents: readonly string[];
  readonly imaging?: ImagingGenerator;
}

/**
 * The exams. Hélène Dupont-Moreau has exams from two prescribers (Dr Martin sees only hers);
 * Dr Durand has no account yet; heavy imaging is limited to one CT thorax, one CT head and one
 * full ultrasound loop.
 */
const EXAM_PLANS: readonly ExamPlan[] = [
  { key: 'e01', patient: 'dupont-moreau', facility: 'nancy', title: 'ECHOGRAPHIE CERVICALE', daysAgo: 540, prescriber: 'martin', correspondents: ['schmitt'], imaging: 'us-neck' },
  { key: 'e02', patient: 'dupont-moreau', facility: 'nancy', title: 'Consultation Radio', daysAgo: 513, prescriber: 'martin', correspondents: [] },
  { key: 'e03', patient: 'dupont-moreau', facility: 'metz', title: 'SCANNER THORACIQUE', daysAgo: 21, prescriber: 'schmitt', correspondents: [], imaging: 'ct-thorax' },
  { key: 'e04', patient: 'dupont-moreau', facility: 'nancy', title: 'ECHOGRAPHIE THYROIDIENNE', daysAgo: 160, prescriber: 'martin', correspondents: [], imaging: 'us-neck-short' },
  { key: 'e05', patient: 'lefevre', facility: 'nancy', title: 'IRM GENOU DROIT', daysAgo: 200, prescriber: 'martin', correspondents: [] },
  { key: 'e06', patient: 'nguyen', facility: 'epinal', title: 'SCANNER CEREBRAL', daysAgo: 90, prescriber: 'paul-lambert', correspondents: ['martin'], imaging: 'ct-head' },
  { key: 'e07', patient: 'batard', facility: 'nancy', title: 'RADIOGRAPHIE DU THORAX', daysAgo: 4, prescriber: 'martin', correspondents: [] },
  { key: 'e08', patient: 'muller', facility: 'metz', title: 'SCANNER ABDOMINO-PELVIEN', daysAgo: 700, prescriber: 'schmitt', correspondents: [] },
  { key: 'e09', patient: 'lambert', facility: 'epinal', title: 'MAMMOGRAPHIE BILATERALE', daysAgo: 400, prescriber: 'durand', correspondents: [] },
  { key: 'e10', patient: 'rousseau-girard', facility: 'nancy', title: 'ECHOGRAPHIE PELVIENNE', daysAgo: 60, prescriber: 'durand', correspondents: ['martin'] },
  { key: 'e11', patient: 'francais', facility: 'metz', title: 'SCANNER DES SINUS', daysAgo: 250, prescriber: 'schmitt', correspondents: ['paul-lambert'] },
  { key: 'e12', patient: 'becker', facility: 'nancy', title: 'IRM CEREBRALE', daysAgo: 120, prescriber: 'martin', correspondents: ['paul-lambert'] },
  { key: 'e13', patient: 'le-gall', facility: 'epinal', title: 'RADIOGRAPHIE DU GENOU GAUCHE', daysAgo: 9, prescriber: 'paul-lambert', correspondents: [] },
  { key: 'e14', patient: 'schneider', facility: 'epinal', title: 'ECHOGRAPHIE ABDOMINALE', daysAgo: 300, prescriber: 'durand', correspondents: [] },
  { key: 'e15', patient: 'oehmichen', facility: 'metz', title: 'IRM DU RACHIS LOMBAIRE', daysAgo: 650, prescriber: 'schmitt', correspondents: ['martin'] },
  { key: 'e16', patient: 'lefevre', facility: 'metz', title: 'RADIOGRAPHIE DU THORAX', daysAgo: 35, prescriber: 'schmitt', correspondents: [] },
  { key: 'e17', patient: 'muller', facility: 'nancy', title: 'SCANNER THORACIQUE', daysAgo: 330, prescriber: 'durand', correspondents: ['schmitt'] },
];

const DAY_MS = 86_400_000;

function phoneFor(prng: Prng): string {
  const pairs = Array.from({ length: 4 }, () => String(prng.int(0, 99)).padStart(2, '0'));
  return `0${prng.pick(['3', '6', '7'])} ${pairs.join(' ')}`;
}

function buildPatients(seed: number, now: Date): DemoPatient[] {
  return PATIENTS.map((identity, index) => {
    const prng = createPrng(hashSeed(seed, 'patient', identity.key));
    const home = PATIENT_ADDRESSES[index % PATIENT_ADDRESSES.length] as DemoAddress;
    const phone = phoneFor(prng);
    const facilityKeys = [...new Set(EXAM_PLANS.filter((e) => e.patient === identity.key).map((e) => e.facility))];
    const records = facilityKeys.map((facilityKey, i): DemoAdministrativeRecord => {
      const facility = facilityByKey(facilityKey);
      // A second centre met the patient later, after a move: records differ as in real life.
      const moved = i > 0 ? (PATIENT_ADDRESSES[(index + 5) % PATIENT_ADDRESSES.length] as DemoAddress) : home;
      const lastExam = Math.min(...EXAM_PLANS.filter((e) => e.patient === identity.key && e.facility === facilityKey).map((e) => e.daysAgo));
      return {
        facilityKey,
        finess: facility.finess,
        ipp: `${facility.ippPrefix}${String(prng.int(100000, 999999))}`,
        firstName: identity.firstName,
        lastName: identity.lastName,
        birthName: identity.birthName,
        birthDate: identity.birthDate,
        sex: identity.sex,
        address: moved,
        phone: i > 0 ? phoneFor(prng) : phone,
        insNir: identity.ins.nir,
        insOid: identity.ins.oid,
        receivedAt: new Date(now.getTime() - lastExam * DAY_MS),
      };
    });
    return { ...identity, records };
  });
}

function examDate(now: Date, daysAgo: number, prng: Prng): Date {
  const day = Math.floor(now.getTime() / DAY_MS) - daysAgo;
  // Working hours in France (UTC+1/+2): 07:00–16:00 UTC, on the quarter hour.
  return new Date(day * DAY_MS + prng.int(7, 15) * 3_600_000 + prng.int(0, 3) * 900_000);
}

function patientLabel(p: DemoPatientIdentity): string {
  const civility = p.sex === 'F' ? 'Mme' : 'M.';
  const born = p.birthName !== p.lastName ? ` (${p.sex === 'F' ? 'née' : 'né'} ${p.birthName.toLocaleUpperCase('fr-FR')})` : '';
  return `${civility} ${p.firstName} ${p.lastName.toLocaleUpperCase('fr-FR')}${born}`;
}

const IMAGING: Record<ImagingGenerator, { modality: 'CT' | 'US'; count: number; make: (ctx: StudyContext, ns: string, seed: number) => Iterable<GeneratedInstance> }> = {
  'ct-thorax': { modality: 'CT', count: 64, make: (context, uidNamespace, seed) => generateCtSeries({ context, uidNamespace, seed, phantom: 'thorax' } satisfies CtSeriesOptions) },
  'ct-head': { modality: 'CT', count: 32, make: (context, uidNamespace, seed) => generateCtSeries({ context, uidNamespace, seed, phantom: 'head' }) },
  'us-neck': { modality: 'US', count: 1, make: (context, uidNamespace, seed) => [generateUsCine({ context, uidNamespace, seed } satisfies UsCineOptions)] },
  'us-neck-short': {
    modality: 'US', count: 1,
    make: (context, uidNamespace, seed) => [generateUsCine({ context, uidNamespace, seed, frames: 16, rows: 240, columns: 320, seriesDescription: 'Thyroïde — boucle courte' })],
  },
};

export function buildDemoDataset(options: BuildDemoDatasetOptions = {}): DemoDataset {
  const seed = options.seed ?? DEFAULT_DEMO_SEED;
  const now = options.now ?? new Date();
  const patients = buildPatients(seed, now);
  const sequence = new Map<string, number>();
  const exams = EXAM_PLANS.map((plan): DemoExam => {
    const prng = createPrng(hashSeed(seed, 'exam', plan.key));
    const facility = facilityByKey(plan.facility);
    const identity = patientByKey(plan.patient);
    const record = patients.find((p) => p.key === plan.patient)?.records.find((r) => r.facilityKey === plan.facility);
    if (!record) throw new Error(`demo patient ${plan.patient} has no record at ${plan.facility}`);
    const prescriber = physicianByKey(plan.prescriber);
    const date = examDate(now, plan.daysAgo, prng);
    const n = (sequence.get(facility.code) ?? 0) + 1;
    sequence.set(facility.code, n);
    const accessionNumber = `${facility.code}${String(date.getUTCFullYear()).slice(2)}${String(prng.int(1000, 9999))}${String(n).padStart(2, '0')}`;
    const ns = `demo/${seed}/${plan.key}`;
    const studyInstanceUid = uidFromName(`${ns}/study`);
    const context: StudyContext = {
      patient: {
        patientId: record.ipp,
        issuerOfPatientId: facility.finess,
        name: { familyName: identity.lastName, givenName: identity.firstName },
        ...(identity.birthName !== identity.lastName ? { birthFamilyName: identity.birthName } : {}),
        birthDate: identity.birthDate,
        sex: identity.sex,
        address: `${record.address.line}, ${record.address.postalCode} ${record.address.city}`,
        phone: record.phone,
      },
      study: {
        studyInstanceUid,
        date,
        accessionNumber,
        studyId: accessionNumber.slice(-6),
        description: plan.title,
        referringPhysician: { familyName: prescriber.lastName, givenName: prescriber.firstName, prefix: 'Dr' },
        institutionName: facility.name,
        institutionAddress: `${facility.address.line}, ${facility.address.postalCode} ${facility.address.city}`,
      },
    };
    const documents: DemoDocument[] = [];
    if (plan.imaging) {
      const imaging = IMAGING[plan.imaging];
      const imagingNs = `${ns}/imaging`;
      const imagingSeed = hashSeed(seed, 'imaging', plan.key);
      documents.push({
        type: 'IMAGING',
        title: `${plan.title} - (IMAGES)`,
        date,
        modality: imaging.modality,
        generator: plan.imaging,
        seriesInstanceUid: uidFromName(`${imagingNs}/series`),
        instanceCount: imaging.count,
        instances: () => imaging.make(context, imagingNs, imagingSeed),
      });
    }
    const reportNs = `${ns}/report`;
    const reportDate = new Date(date.getTime() + prng.int(1, 6) * 3_600_000);
    const radiologist = facility.radiologist;
    const pdf = (): Buffer =>
      renderPdfReport({
        facility: { name: facility.name, address: `${facility.address.line}, ${facility.address.postalCode} ${facility.address.city}`, phone: facility.phone, finess: facility.finess },
        title: plan.title,
        examDate: date,
        patient: { displayName: patientLabel(identity), birthDate: frenchDate(new Date(`${identity.birthDate}T00:00:00Z`)), patientId: record.ipp },
        prescriber: `Dr ${prescriber.firstName} ${prescriber.lastName}`,
        sections: reportSections(plan.title),
        signedBy: { name: `Dr ${radiologist.firstName} ${radiologist.lastName}`, role: 'médecin radiologue', rpps: radiologist.rpps },
      });
    const reportTitle = `${plan.title} - (Compte-rendu)`;
    documents.push({
      type: 'REPORT',
      title: reportTitle,
      date: reportDate,
      modality: 'DOC',
      seriesInstanceUid: uidFromName(`${reportNs}/series`),
      sopInstanceUid: uidFromName(`${reportNs}/instance`),
      instanceCount: 1,
      pdf,
      instances: () => [generateEncapsulatedPdf({ context, pdf: pdf(), documentTitle: reportTitle, contentDate: reportDate, uidNamespace: reportNs })],
    });
    return {
      key: plan.key,
      patientKey: plan.patient,
      facilityKey: plan.facility,
      accessionNumber,
      studyInstanceUid,
      title: plan.title,
      date,
      modalities: plan.imaging ? [IMAGING[plan.imaging].modality, 'DOC'] : ['DOC'],
      prescriberRpps: prescriber.rpps,
      correspondentRpps: plan.correspondents.map((k) => physicianByKey(k).rpps),
      patientRecord: record,
      documents,
      *instances() {
        for (const d of documents) yield* d.instances();
      },
    };
  });
  return { seed, now, facilities: FACILITIES, physicians: PHYSICIANS, patients, exams };
}
