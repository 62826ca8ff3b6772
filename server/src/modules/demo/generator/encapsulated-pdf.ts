/**
 * Wraps a PDF as a DICOM Encapsulated PDF Storage instance (PS3.3 A.45.1), the way imaging
 * centres push their reports to a PACS next to the images.
 */
import { dicomDate, dicomTime, el, newUid, uidFromName, writePart10, type DicomElement } from './dicom-writer.js';
import { SopClass, T } from './dicom-tags.js';
import { studyContextElements, type GeneratedInstance, type StudyContext } from './study-context.js';

export interface EncapsulatedPdfOptions {
  /**
   * The study the report belongs to. Pass the imaging study's context to file the report next
   * to the images; pass a context with its own StudyInstanceUID for a report-only study.
   */
  readonly context: StudyContext;
  readonly pdf: Buffer;
  readonly documentTitle: string;
  /** When the report was validated; defaults to one hour after the study. */
  readonly contentDate?: Date;
  readonly seriesNumber?: number;
  /** See CtSeriesOptions.uidNamespace. */
  readonly uidNamespace?: string;
}

/** LOINC "Diagnostic imaging study" (report), as used by French RIS for radiology reports. */
const REPORT_CONCEPT: DicomElement[] = [
  el(T.CodeValue, 'SH', '18748-4'),
  el(T.CodingSchemeDesignator, 'SH', 'LN'),
  el(T.CodeMeaning, 'LO', 'Diagnostic imaging study'),
];

export function generateEncapsulatedPdf(options: EncapsulatedPdfOptions): GeneratedInstance {
  if (options.pdf.subarray(0, 5).toString('latin1') !== '%PDF-') throw new RangeError('not a PDF document');
  const ns = options.uidNamespace;
  const uid = (what: string): string => (ns === undefined ? newUid() : uidFromName(`${ns}/${what}`));
  const seriesInstanceUid = uid('series');
  const sopInstanceUid = uid('instance');
  const studyInstanceUid = options.context.study.studyInstanceUid;
  const content = options.contentDate ?? new Date(options.context.study.date.getTime() + 60 * 60_000);
  const dataset: DicomElement[] = [
    ...studyContextElements(options.context),
    el(T.SOPClassUID, 'UI', SopClass.EncapsulatedPdf),
    el(T.SOPInstanceUID, 'UI', sopInstanceUid),
    el(T.InstanceCreationDate, 'DA', dicomDate(content)),
    el(T.InstanceCreationTime, 'TM', dicomTime(content)),
    el(T.SeriesDate, 'DA', dicomDate(content)),
    el(T.SeriesTime, 'TM', dicomTime(content)),
    el(T.ContentDate, 'DA', dicomDate(content)),
    el(T.ContentTime, 'TM', dicomTime(content)),
    el(T.AcquisitionDateTime, 'DT', `${dicomDate(content)}${dicomTime(content)}`),
    el(T.Modality, 'CS', 'DOC'),
    // WSD: "workstation", the SC Equipment module's code for a document produced by software.
    el(T.ConversionType, 'CS', 'WSD'),
    el(T.Manufacturer, 'LO', 'e-mage'),
    el(T.SeriesDescription, 'LO', 'Compte rendu'),
    el(T.SeriesInstanceUID, 'UI', seriesInstanceUid),
    el(T.SeriesNumber, 'IS', options.seriesNumber ?? 900),
    el(T.InstanceNumber, 'IS', 1),
    el(T.BurnedInAnnotation, 'CS', 'YES'),
    el(T.ConceptNameCodeSequence, 'SQ', [REPORT_CONCEPT]),
    el(T.DocumentTitle, 'ST', options.documentTitle),
    el(T.EncapsulatedDocument, 'OB', new Uint8Array(options.pdf.buffer, options.pdf.byteOffset, options.pdf.byteLength)),
    el(T.MIMETypeOfEncapsulatedDocument, 'LO', 'application/pdf'),
    // OB pads an odd-length PDF with a NUL; this length lets a reader return the exact file.
    el(T.EncapsulatedDocumentLength, 'UL', options.pdf.length),
  ];
  return { sopClassUid: SopClass.EncapsulatedPdf, sopInstanceUid, seriesInstanceUid, studyInstanceUid, data: writePart10(dataset) };
}
