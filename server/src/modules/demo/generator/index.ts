/** The demo-data generator's public surface, for the seeding command. */
export { buildDemoDataset, DEFAULT_DEMO_SEED } from './demo-dataset.js';
export type {
  BuildDemoDatasetOptions,
  DemoAdministrativeRecord,
  DemoDataset,
  DemoDocument,
  DemoExam,
  DemoImagingDocument,
  DemoPatient,
  DemoReportDocument,
  ImagingGenerator,
} from './demo-dataset.js';
export { DEMO_LOGIN_PHYSICIAN_KEY, INS_NIR_TEST_OID } from './people.js';
export type { DemoAddress, DemoFacility, DemoPatientIdentity, DemoPhysician, DemoRadiologist } from './people.js';
export type { GeneratedInstance, StudyContext } from './study-context.js';
export { generateCtSeries } from './ct-phantom.js';
export { generateUsCine } from './us-cine.js';
export { renderPdfReport } from './pdf-report.js';
export { generateEncapsulatedPdf } from './encapsulated-pdf.js';
export { newUid, uidFromName, writePart10 } from './dicom-writer.js';
