// Readers for the DICOM JSON model (PS3.18 F.2). Values arrive as arrays of strings or numbers;
// person names as objects with an "Alphabetic" group.

export interface DicomAttribute {
  vr?: string;
  Value?: unknown[];
  BulkDataURI?: string;
  InlineBinary?: string;
}
export type DicomJson = Record<string, DicomAttribute | undefined>;

export const Tag = {
  StudyDate: '00080020',
  Modality: '00080060',
  SOPClassUID: '00080016',
  SOPInstanceUID: '00080018',
  AvailableTransferSyntaxUID: '00083002',
  StudyDescription: '00081030',
  SeriesDescription: '0008103E',
  PatientName: '00100010',
  PatientBirthDate: '00100030',
  CineRate: '00180040',
  FrameTime: '00181063',
  RecommendedDisplayFrameRate: '00082144',
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  SeriesNumber: '00200011',
  InstanceNumber: '00200013',
  ImagePositionPatient: '00200032',
  ImageOrientationPatient: '00200037',
  ImagerPixelSpacing: '00181164',
  SamplesPerPixel: '00280002',
  PhotometricInterpretation: '00280004',
  NumberOfFrames: '00280008',
  Rows: '00280010',
  Columns: '00280011',
  PixelSpacing: '00280030',
  BitsAllocated: '00280100',
  BitsStored: '00280101',
  PixelRepresentation: '00280103',
  WindowCenter: '00281050',
  WindowWidth: '00281051',
  RescaleIntercept: '00281052',
  RescaleSlope: '00281053',
  RedPaletteColorLookupTableDescriptor: '00281101',
  GreenPaletteColorLookupTableDescriptor: '00281102',
  BluePaletteColorLookupTableDescriptor: '00281103',
  RedPaletteColorLookupTableData: '00281201',
  GreenPaletteColorLookupTableData: '00281202',
  BluePaletteColorLookupTableData: '00281203',
  ModalityLUTSequence: '00283000',
  VOILUTSequence: '00283010',
  NumberOfSeriesRelatedInstances: '00201209',
  PixelData: '7FE00010',
  FloatPixelData: '7FE00008',
  DoubleFloatPixelData: '7FE00009',
} as const;

function attr(ds: DicomJson, tag: string): DicomAttribute | undefined {
  // Servers disagree on the case of hex digits in keys; PS3.18 says upper case.
  return ds[tag] ?? ds[tag.toLowerCase()];
}

export function getString(ds: DicomJson, tag: string): string | undefined {
  const v = attr(ds, tag)?.Value?.[0];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object') {
    const pn = v as { Alphabetic?: string };
    return pn.Alphabetic;
  }
  return String(v);
}

export function getNumber(ds: DicomJson, tag: string): number | undefined {
  const v = attr(ds, tag)?.Value?.[0];
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number.parseFloat(v) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

export function getNumbers(ds: DicomJson, tag: string): number[] | undefined {
  const values = attr(ds, tag)?.Value;
  if (!values) return undefined;
  const nums = values.map((v) => (typeof v === 'number' ? v : Number.parseFloat(String(v))));
  return nums.every(Number.isFinite) ? nums : undefined;
}

export function hasAttribute(ds: DicomJson, tag: string): boolean {
  return attr(ds, tag) !== undefined;
}
