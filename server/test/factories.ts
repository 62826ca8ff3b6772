/**
 * Test data written straight into the database (no GraphQL, no facility key), so a spec states
 * the world it needs in a few lines: facilities, patients with their per-facility records, exams
 * with access rights and documents, and a stored Encapsulated PDF for a report. Other specs may
 * import it.
 */
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppDeps } from '../src/app-deps.js';
import { forkEm } from '../src/bootstrap.js';
import { generateEncapsulatedPdf } from '../src/modules/demo/generator/encapsulated-pdf.js';
import { renderPdfReport } from '../src/modules/demo/generator/pdf-report.js';
import { Document, DocumentType, Exam, ExamAccess, ExamRole } from '../src/modules/exam/exam.entity.js';
import { Facility } from '../src/modules/facility/facility.entity.js';
import { AdministrativeRecord, Patient, Sex } from '../src/modules/patient/patient.entity.js';
import { searchNameOf } from '../src/modules/patient/patient-identity.service.js';

let seq = 0;
const next = (): number => ++seq;

export interface PatientSpec {
  firstName?: string;
  lastName?: string;
  birthName?: string | null;
  birthDate?: string | null;
  sex?: Sex | null;
  /**
   * One administrative record per facility listed (defaults to none). Each carries the patient's
   * identity unless it names its own (a facility that knows the patient under another name).
   */
  records?: Array<
    { facility: Facility; receivedAt?: Date } & Partial<
      Pick<AdministrativeRecord, 'ipp' | 'addressLine' | 'postalCode' | 'city' | 'phone' | 'ins' | 'firstName' | 'lastName' | 'birthName' | 'birthDate' | 'sex'>
    >
  >;
}

export interface ExamSpec {
  patient: Pick<Patient, 'id'>;
  facility: Pick<Facility, 'id'>;
  title?: string;
  date?: Date;
  modalities?: string[];
  /** Physicians named by the patient on this exam (user ids). */
  access?: Array<{ physicianId: string; role?: ExamRole; rpps?: string; firstOpenedAt?: Date | null }>;
  /** Documents of the exam; a report gets a stored Encapsulated PDF when `storePdf` is set. */
  documents?: Array<{ type: DocumentType; title?: string; date?: Date }>;
  status?: Exam['status'];
  /** The study the exam shows (defaults to a new UID): one stored through STOW-RS, to read its files. */
  studyInstanceUid?: string;
}

export class Factory {
  constructor(private readonly deps: AppDeps) {}

  private em(): EntityManager {
    return forkEm(this.deps);
  }

  async facility(overrides: Partial<Pick<Facility, 'name' | 'finess'>> = {}): Promise<Facility> {
    const em = this.em();
    const n = next();
    const facility = em.create(Facility, { name: overrides.name ?? `Centre d'imagerie ${n}`, finess: overrides.finess ?? `54${String(Date.now() % 1e6).padStart(6, '0')}${n}`.slice(0, 12) });
    await em.persistAndFlush(facility);
    return facility;
  }

  async patient(spec: PatientSpec = {}): Promise<Patient> {
    const em = this.em();
    const n = next();
    const identity = {
      firstName: spec.firstName ?? `Prénom${n}`,
      lastName: spec.lastName ?? `Nom${n}`,
      birthName: spec.birthName ?? null,
      birthDate: spec.birthDate === undefined ? '1970-01-01' : spec.birthDate,
      sex: spec.sex === undefined ? Sex.F : spec.sex,
    };
    const patient = em.create(Patient, { ...identity, searchName: searchNameOf(identity) });
    em.persist(patient);
    for (const r of spec.records ?? []) {
      const names = { firstName: r.firstName ?? identity.firstName, lastName: r.lastName ?? identity.lastName, birthName: r.birthName === undefined ? identity.birthName : r.birthName };
      em.persist(
        em.create(AdministrativeRecord, {
          ...identity,
          ...names,
          birthDate: r.birthDate === undefined ? identity.birthDate : r.birthDate,
          sex: r.sex === undefined ? identity.sex : r.sex,
          searchName: searchNameOf(names),
          patient,
          facility: em.getReference(Facility, r.facility.id),
          ipp: r.ipp ?? `IPP${n}-${next()}`,
          ins: r.ins ?? null,
          addressLine: r.addressLine ?? `${n} rue de la Paix`,
          postalCode: r.postalCode ?? '54000',
          city: r.city ?? 'Nancy',
          phone: r.phone ?? '03 83 00 00 00',
          receivedAt: r.receivedAt ?? new Date(),
        }),
      );
    }
    await em.flush();
    return patient;
  }

  async exam(spec: ExamSpec): Promise<{ exam: Exam; documents: Document[] }> {
    const em = this.em();
    const n = next();
    const date = spec.date ?? new Date(Date.UTC(2024, 0, 1) + n * 3_600_000);
    const exam = em.create(Exam, {
      patient: em.getReference(Patient, spec.patient.id),
      facility: em.getReference(Facility, spec.facility.id),
      accessionNumber: `ACC${n}-${randomUUID().slice(0, 8)}`,
      studyInstanceUid: spec.studyInstanceUid ?? `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString()}`,
      title: spec.title ?? `EXAMEN ${n}`,
      date,
      modalities: spec.modalities ?? ['CT'],
      ...(spec.status ? { status: spec.status } : {}),
    });
    em.persist(exam);
    for (const a of spec.access ?? []) {
      em.persist(
        em.create(ExamAccess, {
          exam,
          physician: a.physicianId,
          rpps: a.rpps ?? `rpps-${a.physicianId}`,
          role: a.role ?? ExamRole.PRESCRIBER,
          firstOpenedAt: a.firstOpenedAt ?? null,
        }),
      );
    }
    const documents = (spec.documents ?? []).map((d) => {
      const doc = em.create(Document, {
        exam,
        type: d.type,
        title: d.title ?? (d.type === DocumentType.REPORT ? `${exam.title} - (Compte-rendu)` : `${exam.title} - (IMAGES)`),
        date: d.date ?? date,
        studyInstanceUid: exam.studyInstanceUid,
        sopInstanceUid: null,
      });
      em.persist(doc);
      return doc;
    });
    await em.flush();
    return { exam, documents };
  }

  /**
   * Stores a real Encapsulated PDF for a report document (as STOW-RS would) and points the
   * document at it. Returns the PDF bytes the route should serve.
   */
  async storeReportPdf(document: Document, exam: Exam, facility: Facility): Promise<Buffer> {
    const pdf = renderPdfReport({
      facility: { name: facility.name, address: '1 rue du Test, 54000 Nancy', phone: '03 83 00 00 00', finess: facility.finess },
      title: exam.title,
      examDate: exam.date,
      patient: { displayName: 'Patient de test', birthDate: '1970-01-01', patientId: 'IPP-TEST' },
      sections: [{ heading: 'Conclusion', paragraphs: ['Examen normal.'] }],
      signedBy: { name: 'Dr Test', role: 'Radiologue' },
    });
    const instance = generateEncapsulatedPdf({
      context: {
        patient: { patientId: 'IPP-TEST', name: { familyName: 'Test', givenName: 'Patient' }, birthDate: '1970-01-01', sex: 'F' },
        study: { studyInstanceUid: exam.studyInstanceUid!, date: exam.date, accessionNumber: exam.accessionNumber, studyId: '1', description: exam.title, institutionName: facility.name },
      },
      pdf,
      documentTitle: document.title,
    });
    const storageKey = `test/${instance.sopInstanceUid}.dcm`;
    await this.deps.storage.put(storageKey, instance.data);
    const em = this.em();
    const studyId = randomUUID();
    const seriesId = randomUUID();
    await em.execute(
      `insert into dicom_study (id, study_instance_uid, facility_id, modalities, created_at) values (?, ?, ?, '{DOC}', now())
       on conflict (study_instance_uid) do nothing`,
      [studyId, instance.studyInstanceUid, facility.id],
    );
    await em.execute(
      `insert into dicom_series (id, series_instance_uid, study_id, modality, created_at)
       values (?, ?, (select id from dicom_study where study_instance_uid = ?), 'DOC', now())`,
      [seriesId, instance.seriesInstanceUid, instance.studyInstanceUid],
    );
    await em.execute(
      `insert into dicom_instance (id, sop_instance_uid, series_id, sop_class_uid, transfer_syntax_uid, number_of_frames, storage_key, size, frames, metadata, created_at)
       values (?, ?, ?, ?, '1.2.840.10008.1.2.1', 0, ?, ?, '[]', '{}', now())`,
      [randomUUID(), instance.sopInstanceUid, seriesId, instance.sopClassUid, storageKey, instance.data.length],
    );
    await em.execute(`update document set sop_instance_uid = ? where id = ?`, [instance.sopInstanceUid, document.id]);
    return pdf;
  }
}
