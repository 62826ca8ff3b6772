/**
 * The Patient, General Study and General Equipment attributes shared by every object of a demo
 * study, so CT slices, ultrasound cine and report PDF of one exam agree on who and what.
 */
import { dicomDate, dicomTime, el, type DicomElement } from './dicom-writer.js';
import { T } from './dicom-tags.js';

export interface PersonName {
  readonly familyName: string;
  readonly givenName: string;
  /** e.g. "Dr" */
  readonly prefix?: string;
}

export interface DicomPatient {
  /** The facility's patient identifier (IPP). */
  readonly patientId: string;
  /** Who assigned `patientId`, e.g. the facility's FINESS. */
  readonly issuerOfPatientId?: string;
  readonly name: PersonName;
  /** Family name at birth when it differs from the name in use. */
  readonly birthFamilyName?: string;
  /** ISO date YYYY-MM-DD. */
  readonly birthDate: string;
  readonly sex: 'F' | 'M' | 'O';
  readonly address?: string;
  readonly phone?: string;
}

export interface DicomStudy {
  readonly studyInstanceUid: string;
  /** Start of the study (UTC). */
  readonly date: Date;
  readonly accessionNumber: string;
  readonly studyId: string;
  readonly description: string;
  readonly referringPhysician?: PersonName;
  readonly institutionName: string;
  readonly institutionAddress?: string;
}

export interface StudyContext {
  readonly patient: DicomPatient;
  readonly study: DicomStudy;
}

/** DICOM PN: family name in capitals as French RIS print it, accents kept. */
export function dicomPersonName(p: PersonName): string {
  const parts = [p.familyName.toLocaleUpperCase('fr-FR'), p.givenName, '', p.prefix ?? ''];
  return parts.join('^').replace(/\^+$/, '');
}

export function studyContextElements(ctx: StudyContext): DicomElement[] {
  const { patient, study } = ctx;
  const elements: DicomElement[] = [
    el(T.SpecificCharacterSet, 'CS', 'ISO_IR 192'),
    el(T.StudyDate, 'DA', dicomDate(study.date)),
    el(T.StudyTime, 'TM', dicomTime(study.date)),
    el(T.AccessionNumber, 'SH', study.accessionNumber),
    el(T.InstitutionName, 'LO', study.institutionName),
    el(T.ReferringPhysicianName, 'PN', study.referringPhysician ? dicomPersonName(study.referringPhysician) : null),
    el(T.StudyDescription, 'LO', study.description),
    el(T.PatientName, 'PN', dicomPersonName(patient.name)),
    el(T.PatientID, 'LO', patient.patientId),
    el(T.PatientBirthDate, 'DA', patient.birthDate.replace(/-/g, '')),
    el(T.PatientSex, 'CS', patient.sex),
    el(T.StudyInstanceUID, 'UI', study.studyInstanceUid),
    el(T.StudyID, 'SH', study.studyId),
  ];
  if (study.institutionAddress) elements.push(el(T.InstitutionAddress, 'ST', study.institutionAddress));
  if (patient.issuerOfPatientId) elements.push(el(T.IssuerOfPatientID, 'LO', patient.issuerOfPatientId));
  if (patient.birthFamilyName) {
    elements.push(el(T.PatientBirthName, 'PN', dicomPersonName({ familyName: patient.birthFamilyName, givenName: patient.name.givenName })));
  }
  if (patient.address) elements.push(el(T.PatientAddress, 'LO', patient.address));
  if (patient.phone) elements.push(el(T.PatientTelephoneNumbers, 'SH', patient.phone));
  return elements;
}

/** The object produced for STOW-RS, with the UIDs a caller needs to check the response. */
export interface GeneratedInstance {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly studyInstanceUid: string;
  /** A complete DICOM Part 10 file. */
  readonly data: Buffer;
}
