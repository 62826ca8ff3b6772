import type { DataSet, Element } from 'dicom-parser';
import { CHARSET_VRS, personNameGroups, type CharsetDecoder, type PersonNameJson } from './charset.js';
import { dictionaryVr, resolveAmbiguousVr } from './dictionary.js';
import type { ParsedInstance } from './part10.js';

/** One attribute of the DICOM JSON model (PS3.18 F.2). */
export interface DicomJsonAttribute {
  vr: string;
  Value?: (string | number | PersonNameJson | DicomJsonDataSet | null)[];
  BulkDataURI?: string;
  InlineBinary?: string;
}
/** A data set in the DICOM JSON model: upper-case `GGGGEEEE` tag → attribute. */
export type DicomJsonDataSet = Record<string, DicomJsonAttribute>;

export interface ToDicomJsonOptions {
  /**
   * URI for a binary value too large to inline, and for every pixel data attribute. `path` locates
   * nested values: tags and item indexes joined by '/', e.g. `00540016/0/00181074`. Return
   * undefined to omit the value (the attribute is then listed with its VR only).
   */
  bulkDataUri: (tag: string, path: string) => string | undefined;
  /** Binary values up to this many bytes are inlined as base64 (default 1024). */
  inlineBinaryThreshold?: number;
  /** Include the file meta group 0002 (WADO-RS metadata leaves it out; default false). */
  includeFileMeta?: boolean;
}

const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);
const SINGLE_VALUED_TEXT = new Set(['LT', 'ST', 'UT', 'UR']);
const STRING_VRS = new Set(['AE', 'AS', 'CS', 'DA', 'DT', 'LO', 'LT', 'SH', 'ST', 'TM', 'UC', 'UI', 'UR', 'UT']);
const NUMBER_SIZE: Record<string, number> = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8, SV: 8, UV: 8 };
const WORD_SIZE: Record<string, number> = { OW: 2, OF: 4, OL: 4, OD: 8, OV: 8 };
const KNOWN_VRS = new Set([...BINARY_VRS, ...STRING_VRS, ...Object.keys(NUMBER_SIZE), 'AT', 'DS', 'IS', 'PN', 'SQ']);
const PIXEL_DATA_TAGS = new Set(['7FE00008', '7FE00009', '7FE00010']);

interface Context {
  options: ToDicomJsonOptions;
  charset: CharsetDecoder;
  implicitVr: boolean;
  littleEndian: boolean;
  pixelRepresentation: number | undefined;
  threshold: number;
}

/**
 * The whole data set of a parsed instance in the DICOM JSON model, as WADO-RS metadata returns
 * it: text decoded to Unicode (so SpecificCharacterSet becomes ISO_IR 192), IS/DS as numbers,
 * PN as component groups, binary values inline (small) or as BulkDataURI (large, pixel data).
 */
export function toDicomJson(parsed: ParsedInstance, options: ToDicomJsonOptions): DicomJsonDataSet {
  const context: Context = {
    options,
    charset: parsed.charset,
    implicitVr: parsed.implicitVr,
    littleEndian: parsed.transferSyntax.littleEndian,
    pixelRepresentation: parsed.instance.pixelRepresentation,
    threshold: options.inlineBinaryThreshold ?? 1024,
  };
  return dataSetToJson(parsed.dataSet, context, '');
}

function dataSetToJson(dataSet: DataSet, context: Context, path: string): DicomJsonDataSet {
  const out: DicomJsonDataSet = {};
  const tags = Object.keys(dataSet.elements).sort();
  for (const key of tags) {
    const element = dataSet.elements[key];
    if (!element) continue;
    const tag = key.slice(1).toUpperCase();
    const group = tag.slice(0, 4);
    // Command group, item delimiters, trailing padding and (retired) group lengths: not attributes.
    if (group === '0000' || group === 'FFFE' || tag === 'FFFCFFFC' || tag.endsWith('0000')) continue;
    if (group === '0002' && !context.options.includeFileMeta) continue;
    const attributePath = path ? `${path}/${tag}` : tag;
    out[tag] = elementToJson(dataSet, element, tag, context, attributePath);
  }
  if (out['00080005']) out['00080005'] = { vr: 'CS', Value: ['ISO_IR 192'] };
  return out;
}

function vrOf(element: Element, tag: string, context: Context): string {
  const fromDictionary = (): string | undefined => {
    const vr = dictionaryVr(tag);
    return vr === undefined ? undefined : resolveAmbiguousVr(vr, context.pixelRepresentation);
  };
  if (context.implicitVr || element.vr === undefined || !KNOWN_VRS.has(element.vr)) {
    if (element.items) return 'SQ';
    return fromDictionary() ?? 'UN';
  }
  // PS3.5 6.2.2: a UN value of a tag the dictionary knows can be read with the real VR, unless it
  // is a sequence (its items would need re-parsing as implicit VR).
  if (element.vr === 'UN' && !element.items) {
    const known = fromDictionary();
    if (known && known !== 'SQ' && !element.hadUndefinedLength) return known;
  }
  return element.vr;
}

function elementToJson(dataSet: DataSet, element: Element, tag: string, context: Context, path: string): DicomJsonAttribute {
  const vr = vrOf(element, tag, context);
  if (vr === 'SQ' || element.items) {
    return { vr: 'SQ', Value: (element.items ?? []).map((item, i) => (item.dataSet ? dataSetToJson(item.dataSet, context, `${path}/${i}`) : {})) };
  }
  if (element.length === 0 && !element.encapsulatedPixelData) return { vr };
  const bytes = dataSet.byteArray.subarray(element.dataOffset, element.dataOffset + element.length);

  if (BINARY_VRS.has(vr) || PIXEL_DATA_TAGS.has(tag) || element.encapsulatedPixelData) {
    const binaryVr = vr === 'UN' || BINARY_VRS.has(vr) ? vr : 'OB';
    if (PIXEL_DATA_TAGS.has(tag) || element.encapsulatedPixelData || bytes.length > context.threshold) {
      const uri = context.options.bulkDataUri(tag, path);
      return uri === undefined ? { vr: binaryVr } : { vr: binaryVr, BulkDataURI: uri };
    }
    return { vr: binaryVr, InlineBinary: toLittleEndianBase64(bytes, binaryVr, context.littleEndian) };
  }

  const size = NUMBER_SIZE[vr];
  if (size !== undefined) {
    const values: (number | string)[] = [];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const le = context.littleEndian;
    for (let at = 0; at + size <= bytes.length; at += size) {
      switch (vr) {
        case 'US':
          values.push(view.getUint16(at, le));
          break;
        case 'SS':
          values.push(view.getInt16(at, le));
          break;
        case 'UL':
          values.push(view.getUint32(at, le));
          break;
        case 'SL':
          values.push(view.getInt32(at, le));
          break;
        case 'FL':
          values.push(view.getFloat32(at, le));
          break;
        case 'FD':
          values.push(view.getFloat64(at, le));
          break;
        case 'SV':
        case 'UV': {
          const big = vr === 'SV' ? view.getBigInt64(at, le) : view.getBigUint64(at, le);
          // Beyond 2^53 a JSON number loses digits; PS3.18 F.2.3.1 allows a string then.
          values.push(big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(big) : big.toString());
          break;
        }
      }
    }
    return values.length ? { vr, Value: values } : { vr };
  }

  if (vr === 'AT') {
    const values: string[] = [];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let at = 0; at + 4 <= bytes.length; at += 4) {
      const g = view.getUint16(at, context.littleEndian);
      const e = view.getUint16(at + 2, context.littleEndian);
      values.push(((g << 16) | e).toString(16).toUpperCase().padStart(8, '0'));
    }
    return values.length ? { vr, Value: values } : { vr };
  }

  const text = CHARSET_VRS.has(vr) ? context.charset.decode(bytes, vr) : Buffer.from(bytes).toString('latin1');
  if (vr === 'PN') {
    const values = text.split('\\').map((v) => {
      const groups = personNameGroups(v.replace(/[\0 ]+$/, '').replace(/=+$/, ''));
      return Object.keys(groups).length ? groups : null;
    });
    return values.some((v) => v !== null) ? { vr, Value: values } : { vr };
  }
  const rawValues = SINGLE_VALUED_TEXT.has(vr) ? [text] : text.split('\\');
  const values = rawValues.map((v) => {
    // Leading spaces are significant only in the text VRs (PS3.5 Table 6.2-1).
    const trimmed = SINGLE_VALUED_TEXT.has(vr) ? v.replace(/[\0 ]+$/, '') : v.replace(/[\0 ]+$/, '').replace(/^ +/, '');
    if (trimmed === '') return null;
    if (vr === 'IS' || vr === 'DS') {
      const n = Number(trimmed);
      return Number.isFinite(n) ? n : null;
    }
    return trimmed;
  });
  return values.some((v) => v !== null) ? { vr, Value: values } : { vr };
}

/** DICOM JSON inline binary is little endian (PS3.18 F.2.7): swap words of big endian data sets. */
function toLittleEndianBase64(bytes: Uint8Array, vr: string, littleEndian: boolean): string {
  const word = WORD_SIZE[vr];
  const buffer = Buffer.from(bytes);
  if (!littleEndian && word !== undefined && buffer.length % word === 0) {
    if (word === 2) buffer.swap16();
    else if (word === 4) buffer.swap32();
    else buffer.swap64();
  }
  return buffer.toString('base64');
}

// ---------------------------------------------------------------------------------------------
// QIDO-RS results (PS3.18 Table 10.6.3-3/4/5) built from index rows, not from files.

/** A study as the index stores it; PN fields are raw DICOM PN strings ("Doe^John=…"). */
export interface StudyRow {
  studyInstanceUid: string;
  studyDate?: string | null;
  studyTime?: string | null;
  accessionNumber?: string | null;
  modalitiesInStudy?: readonly string[] | null;
  referringPhysicianName?: string | null;
  patientName?: string | null;
  patientId?: string | null;
  issuerOfPatientId?: string | null;
  patientBirthDate?: string | null;
  patientSex?: string | null;
  studyId?: string | null;
  studyDescription?: string | null;
  numberOfStudyRelatedSeries?: number | null;
  numberOfStudyRelatedInstances?: number | null;
  /** Absolute URL of the study in WADO-RS. */
  retrieveUrl?: string | null;
}

export interface SeriesRow {
  studyInstanceUid?: string | null;
  seriesInstanceUid: string;
  modality?: string | null;
  seriesNumber?: number | null;
  seriesDescription?: string | null;
  numberOfSeriesRelatedInstances?: number | null;
  retrieveUrl?: string | null;
}

export interface InstanceRow {
  studyInstanceUid?: string | null;
  seriesInstanceUid?: string | null;
  sopClassUid: string;
  sopInstanceUid: string;
  instanceNumber?: number | null;
  rows?: number | null;
  columns?: number | null;
  numberOfFrames?: number | null;
  retrieveUrl?: string | null;
}

type Scalar = string | number | null | undefined;

function attr(vr: string, value: Scalar | readonly string[]): DicomJsonAttribute {
  if (Array.isArray(value)) return value.length ? { vr, Value: [...value] } : { vr };
  if (value === null || value === undefined || value === '') return { vr };
  return { vr, Value: [value as string | number] };
}

function pn(value: string | null | undefined): DicomJsonAttribute {
  if (!value) return { vr: 'PN' };
  const groups = personNameGroups(value.replace(/=+$/, ''));
  return Object.keys(groups).length ? { vr: 'PN', Value: [groups] } : { vr: 'PN' };
}

/** Strips undefined keys so the attributes a caller did not supply are simply absent. */
function compact(attributes: Record<string, DicomJsonAttribute | undefined>): DicomJsonDataSet {
  const out: DicomJsonDataSet = {};
  for (const tag of Object.keys(attributes).sort()) {
    const value = attributes[tag];
    if (value) out[tag] = value;
  }
  return out;
}

/**
 * Study-level QIDO-RS result. Required return keys are always present (empty when unknown, as
 * PS3.18 asks for attributes with no value); text is Unicode, so SpecificCharacterSet is UTF-8.
 */
export function studyLevelJson(row: StudyRow): DicomJsonDataSet {
  return compact({
    '00080005': attr('CS', 'ISO_IR 192'),
    '00080020': attr('DA', row.studyDate),
    '00080030': attr('TM', row.studyTime),
    '00080050': attr('SH', row.accessionNumber),
    '00080056': attr('CS', 'ONLINE'),
    '00080061': attr('CS', row.modalitiesInStudy ?? []),
    '00080090': pn(row.referringPhysicianName),
    '00081030': attr('LO', row.studyDescription),
    '00081190': row.retrieveUrl ? attr('UR', row.retrieveUrl) : undefined,
    '00100010': pn(row.patientName),
    '00100020': attr('LO', row.patientId),
    '00100021': row.issuerOfPatientId ? attr('LO', row.issuerOfPatientId) : undefined,
    '00100030': attr('DA', row.patientBirthDate),
    '00100040': attr('CS', row.patientSex),
    '0020000D': attr('UI', row.studyInstanceUid),
    '00200010': attr('SH', row.studyId),
    '00201206': attr('IS', row.numberOfStudyRelatedSeries),
    '00201208': attr('IS', row.numberOfStudyRelatedInstances),
  });
}

/** Series-level QIDO-RS result. */
export function seriesLevelJson(row: SeriesRow): DicomJsonDataSet {
  return compact({
    '00080005': attr('CS', 'ISO_IR 192'),
    '00080060': attr('CS', row.modality),
    '0008103E': attr('LO', row.seriesDescription),
    '00081190': row.retrieveUrl ? attr('UR', row.retrieveUrl) : undefined,
    '0020000D': row.studyInstanceUid ? attr('UI', row.studyInstanceUid) : undefined,
    '0020000E': attr('UI', row.seriesInstanceUid),
    '00200011': attr('IS', row.seriesNumber),
    '00201209': attr('IS', row.numberOfSeriesRelatedInstances),
  });
}

/** Instance-level QIDO-RS result. */
export function instanceLevelJson(row: InstanceRow): DicomJsonDataSet {
  return compact({
    '00080016': attr('UI', row.sopClassUid),
    '00080018': attr('UI', row.sopInstanceUid),
    '00080056': attr('CS', 'ONLINE'),
    '00081190': row.retrieveUrl ? attr('UR', row.retrieveUrl) : undefined,
    '0020000D': row.studyInstanceUid ? attr('UI', row.studyInstanceUid) : undefined,
    '0020000E': row.seriesInstanceUid ? attr('UI', row.seriesInstanceUid) : undefined,
    '00200013': attr('IS', row.instanceNumber),
    '00280008': attr('IS', row.numberOfFrames),
    '00280010': attr('US', row.rows),
    '00280011': attr('US', row.columns),
  });
}
