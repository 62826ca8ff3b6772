/**
 * Every generated object type read by dcmjs, a second parser independent from dicom-parser.
 * Kept in one file because loading dcmjs costs most of a second per test worker.
 */
import { describe, expect, it } from 'vitest';
import { generateCtSeries } from './ct-phantom.js';
import { readWithDcmjs } from './dicom-test-utils.js';
import { EXPLICIT_VR_LITTLE_ENDIAN, el, newUid, writePart10 } from './dicom-writer.js';
import { T } from './dicom-tags.js';
import { generateEncapsulatedPdf } from './encapsulated-pdf.js';
import { renderPdfReport } from './pdf-report.js';
import { reportSections } from './report-texts.js';
import type { StudyContext } from './study-context.js';
import { generateUsCine } from './us-cine.js';

const context: StudyContext = {
  patient: { patientId: '57123456', name: { familyName: 'Œhmichen', givenName: 'Gérard' }, birthDate: '1955-10-10', sex: 'M' },
  study: {
    studyInstanceUid: newUid(), date: new Date('2024-11-02T14:30:00Z'), accessionNumber: 'MTZ24555501', studyId: '555501',
    description: 'SCANNER THORACIQUE', institutionName: 'Imagerie médicale de Metz-Queuleu',
    referringPhysician: { familyName: 'Schmitt', givenName: 'Thomas', prefix: 'Dr' },
  },
};
const patientName = [{ Alphabetic: 'ŒHMICHEN^Gérard' }];

describe('dcmjs reads the writer output', () => {
  it('decodes ISO_IR 192 text', async () => {
    const file = writePart10([
      el(T.SpecificCharacterSet, 'CS', 'ISO_IR 192'),
      el(T.SOPClassUID, 'UI', '1.2.840.10008.5.1.4.1.1.7'),
      el(T.SOPInstanceUID, 'UI', newUid()),
      el(T.PatientName, 'PN', 'DUPONT-MOREAU^Hélène'),
      el(T.StudyDescription, 'LO', 'ÉCHOGRAPHIE – cœur'),
    ]);
    const { dataset } = await readWithDcmjs(file);
    expect(dataset.StudyDescription).toBe('ÉCHOGRAPHIE – cœur');
    expect(dataset.PatientName).toEqual([{ Alphabetic: 'DUPONT-MOREAU^Hélène' }]);
  });
});

describe('dcmjs reads the generated files', () => {
  it('CT slice', async () => {
    const [slice] = [...generateCtSeries({ context, slices: 1 })];
    const { meta, dataset } = await readWithDcmjs(slice!.data);
    expect(meta.TransferSyntaxUID).toBe(EXPLICIT_VR_LITTLE_ENDIAN);
    expect(dataset.Modality).toBe('CT');
    expect(dataset.Rows).toBe(512);
    expect(dataset.PixelRepresentation).toBe(1);
    expect(dataset.ImagePositionPatient).toHaveLength(3);
    expect(dataset.WindowCenter).toEqual([40, -600]);
    expect(dataset.StudyInstanceUID).toBe(context.study.studyInstanceUid);
    expect(dataset.InstitutionName).toBe('Imagerie médicale de Metz-Queuleu');
    expect(dataset.PatientName).toEqual(patientName);
    expect(dataset.StudyDescription).toBe('SCANNER THORACIQUE');
  });

  it('ultrasound cine', async () => {
    const cine = generateUsCine({ context, frames: 4 });
    const { dataset } = await readWithDcmjs(cine.data);
    expect(dataset.NumberOfFrames).toBe(4);
    expect(dataset.FrameTime).toBe(40);
    expect(dataset.PatientName).toEqual(patientName);
  });

  it('Encapsulated PDF', async () => {
    const pdf = renderPdfReport({
      facility: { name: 'Imagerie médicale de Metz-Queuleu', address: '7 rue de Queuleu, 57070 Metz', phone: '03 87 00 33 44', finess: '570990028' },
      title: 'SCANNER THORACIQUE', examDate: context.study.date,
      patient: { displayName: 'M. Gérard ŒHMICHEN', birthDate: '10/10/1955', patientId: '57123456' },
      sections: reportSections('SCANNER THORACIQUE'), signedBy: { name: 'Dr Sophie Weber', role: 'médecin radiologue' },
    });
    const doc = generateEncapsulatedPdf({ context, pdf, documentTitle: 'SCANNER THORACIQUE - (Compte-rendu)' });
    const { dataset } = await readWithDcmjs(doc.data);
    expect(dataset.Modality).toBe('DOC');
    expect(dataset.MIMETypeOfEncapsulatedDocument).toBe('application/pdf');
    expect(dataset.DocumentTitle).toBe('SCANNER THORACIQUE - (Compte-rendu)');
    expect(dataset.PatientName).toEqual(patientName);
    expect(dataset.ReferringPhysicianName).toEqual([{ Alphabetic: 'SCHMITT^Thomas^^Dr' }]);
  });
});
