/**
 * A small DICOM Part 10 writer: Explicit VR Little Endian, defined lengths everywhere.
 *
 * It writes only what the demo generators need, but writes it strictly (PS3.5 §6.2, §7.1.2,
 * §7.5; PS3.10 §7.1): values are checked against their VR's length limit and character
 * repertoire, so a generator bug fails here rather than in a PACS or in the viewer.
 */
import { createHash, randomUUID } from 'node:crypto';
import { endianness } from 'node:os';

export type Vr =
  | 'AE' | 'AS' | 'AT' | 'CS' | 'DA' | 'DS' | 'DT' | 'FD' | 'FL' | 'IS' | 'LO' | 'LT'
  | 'OB' | 'OD' | 'OF' | 'OL' | 'OW' | 'PN' | 'SH' | 'SL' | 'SQ' | 'SS' | 'ST' | 'TM'
  | 'UC' | 'UI' | 'UL' | 'UN' | 'UR' | 'US' | 'UT';

type BinaryArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

export type DicomValue =
  | string
  | number
  | readonly (string | number)[]
  | BinaryArray
  | readonly DicomDataset[]
  | null;

export interface DicomElement {
  readonly tag: number;
  readonly vr: Vr;
  readonly value: DicomValue;
}

export type DicomDataset = readonly DicomElement[];

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const IMPLEMENTATION_VERSION_NAME = 'E-MAGE_DEMO_1';

/** Builds a tag number from its group and element, e.g. `tag(0x0010, 0x0010)` for PatientName. */
export function tag(group: number, element: number): number {
  return ((group << 16) | element) >>> 0;
}

export function el(tagNumber: number, vr: Vr, value: DicomValue): DicomElement {
  return { tag: tagNumber, vr, value };
}

export function tagToString(t: number): string {
  const hex = t.toString(16).toUpperCase().padStart(8, '0');
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}

// ---------------------------------------------------------------------------------------------
// UIDs

function uuidBytesToUid(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return `2.25.${n.toString(10)}`;
}

/** A fresh random UID under the UUID-derived root 2.25 (PS3.5 §B.2); at most 44 characters. */
export function newUid(): string {
  return uuidBytesToUid(Buffer.from(randomUUID().replace(/-/g, ''), 'hex'));
}

/**
 * A stable UID for a name (a name-based UUID, version 5 layout, under 2.25). Demo objects use it
 * so that seeding twice yields the same UIDs and STOW-RS sees the same instances again.
 */
export function uidFromName(name: string): string {
  const bytes = createHash('sha1').update(`e-mage:${name}`).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  return uuidBytesToUid(bytes);
}

export function isValidUid(uid: string): boolean {
  return uid.length <= 64 && /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/.test(uid);
}

export const IMPLEMENTATION_CLASS_UID = uidFromName('implementation-class/demo-generator/1');

// ---------------------------------------------------------------------------------------------
// Value formatting helpers

/** A decimal string of at most 16 characters (DS), as short as the value allows. */
export function formatDs(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`DS cannot hold ${n}`);
  const plain = String(n);
  if (plain.length <= 16) return plain;
  for (let p = 15; p >= 1; p--) {
    const s = String(Number(n.toPrecision(p)));
    if (s.length <= 16) return s;
  }
  throw new RangeError(`DS cannot hold ${n}`);
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** DA in the date's UTC calendar day: demo dates are built as UTC midnights plus a time. */
export function dicomDate(d: Date): string {
  return `${d.getUTCFullYear()}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}`;
}

export function dicomTime(d: Date): string {
  return `${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}`;
}

// ---------------------------------------------------------------------------------------------
// Encoding

const LONG_LENGTH_VRS: ReadonlySet<Vr> = new Set<Vr>(['OB', 'OD', 'OF', 'OL', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT']);
/** VRs whose bytes follow SpecificCharacterSet (ISO_IR 192, UTF-8, here). */
const CHARSET_VRS: ReadonlySet<Vr> = new Set<Vr>(['LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UT']);
/** Text VRs that never hold more than one value, so a backslash is plain text. */
const SINGLE_VALUED_TEXT: ReadonlySet<Vr> = new Set<Vr>(['LT', 'ST', 'UT', 'UR']);
/** Maximum characters per value (PS3.5 table 6.2-1); PN is per component group. */
const MAX_CHARS: Partial<Record<Vr, number>> = {
  AE: 16, AS: 4, CS: 16, DA: 8, DS: 16, DT: 26, IS: 12, LO: 64, LT: 10240, PN: 64, SH: 16,
  ST: 1024, TM: 14, UI: 64,
};
const VALUE_PATTERN: Partial<Record<Vr, RegExp>> = {
  AS: /^[0-9]{3}[DWMY]$/,
  CS: /^[A-Z0-9 _]*$/,
  DA: /^[0-9]{8}$/,
  DS: /^ *[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)? *$/,
  IS: /^ *[-+]?[0-9]+ *$/,
  TM: /^[0-9]{2}([0-9]{2}([0-9]{2}(\.[0-9]{1,6})?)?)?$/,
  UI: /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/,
};

const hostIsLittleEndian = endianness() === 'LE';

function fail(element: DicomElement, why: string): never {
  throw new RangeError(`DICOM element ${tagToString(element.tag)} ${element.vr}: ${why}`);
}

function textValues(element: DicomElement): string[] {
  const { value } = element;
  if (value === null) return [];
  if (typeof value === 'string') return SINGLE_VALUED_TEXT.has(element.vr) ? [value] : value.split('\\');
  if (typeof value === 'number') return [element.vr === 'DS' ? formatDs(value) : String(value)];
  if (Array.isArray(value)) {
    return value.map((v: unknown) => {
      if (typeof v === 'number') return element.vr === 'DS' ? formatDs(v) : String(v);
      if (typeof v === 'string') return v;
      return fail(element, 'text values must be strings or numbers');
    });
  }
  return fail(element, 'text VR given binary data');
}

function encodeText(element: DicomElement): Buffer {
  const values = textValues(element);
  if (values.length > 1 && SINGLE_VALUED_TEXT.has(element.vr)) fail(element, 'single-valued VR');
  const max = MAX_CHARS[element.vr];
  const pattern = VALUE_PATTERN[element.vr];
  for (const v of values) {
    if (!CHARSET_VRS.has(element.vr) && /[^\x20-\x7e]/.test(v)) fail(element, `non-ASCII text "${v}"`);
    if (/[\\]/.test(v) && !SINGLE_VALUED_TEXT.has(element.vr)) fail(element, 'backslash inside a value');
    const chars = element.vr === 'PN' ? Math.max(...v.split('=').map((g) => [...g].length)) : [...v].length;
    if (max !== undefined && chars > max) fail(element, `"${v}" is longer than ${max} characters`);
    if (pattern && v !== '' && !pattern.test(v)) fail(element, `"${v}" is not a valid ${element.vr}`);
  }
  const text = values.join('\\');
  const bytes = Buffer.from(text, CHARSET_VRS.has(element.vr) ? 'utf8' : 'latin1');
  if (bytes.length % 2 === 0) return bytes;
  return Buffer.concat([bytes, Buffer.from([element.vr === 'UI' ? 0x00 : 0x20])]);
}

function numbers(element: DicomElement): number[] {
  const { value } = element;
  if (value === null) return [];
  if (typeof value === 'number') return [value];
  if (Array.isArray(value) && value.every((v: unknown) => typeof v === 'number')) return value as number[];
  return fail(element, 'numeric VR needs a number or an array of numbers');
}

function encodeNumbers(element: DicomElement): Buffer {
  const values = numbers(element);
  const size = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8, AT: 4 }[element.vr as 'US'];
  const out = Buffer.alloc(values.length * size);
  values.forEach((v, i) => {
    const at = i * size;
    switch (element.vr) {
      case 'US': out.writeUInt16LE(v, at); break;
      case 'SS': out.writeInt16LE(v, at); break;
      case 'UL': out.writeUInt32LE(v, at); break;
      case 'SL': out.writeInt32LE(v, at); break;
      case 'FL': out.writeFloatLE(v, at); break;
      case 'FD': out.writeDoubleLE(v, at); break;
      case 'AT':
        // An attribute tag is stored as two 16-bit words, group first.
        out.writeUInt16LE(v >>> 16, at);
        out.writeUInt16LE(v & 0xffff, at + 2);
        break;
      default: fail(element, 'not a numeric VR');
    }
  });
  return out;
}

function encodeBinary(element: DicomElement): Buffer {
  const { value } = element;
  if (value === null) return Buffer.alloc(0);
  if (!ArrayBuffer.isView(value)) return fail(element, 'binary VR needs a typed array');
  let bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (!hostIsLittleEndian && value.BYTES_PER_ELEMENT > 1) {
    bytes = Buffer.from(bytes);
    if (value.BYTES_PER_ELEMENT === 2) bytes.swap16();
    else if (value.BYTES_PER_ELEMENT === 4) bytes.swap32();
    else bytes.swap64();
  }
  if (bytes.length % 2 === 0) return bytes;
  return Buffer.concat([bytes, Buffer.alloc(1)]);
}

function header(t: number, vr: Vr, length: number): Buffer {
  const long = LONG_LENGTH_VRS.has(vr);
  const h = Buffer.alloc(long ? 12 : 8);
  h.writeUInt16LE(t >>> 16, 0);
  h.writeUInt16LE(t & 0xffff, 2);
  h.write(vr, 4, 'latin1');
  if (long) h.writeUInt32LE(length, 8);
  else h.writeUInt16LE(length, 6);
  return h;
}

function itemHeader(t: number, length: number): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(t >>> 16, 0);
  h.writeUInt16LE(t & 0xffff, 2);
  h.writeUInt32LE(length, 4);
  return h;
}

const ITEM = tag(0xfffe, 0xe000);

function encodeValue(element: DicomElement): Buffer[] {
  switch (element.vr) {
    case 'SQ': {
      const items = element.value ?? [];
      if (!Array.isArray(items)) return fail(element, 'SQ needs an array of datasets');
      const chunks: Buffer[] = [];
      for (const item of items as DicomDataset[]) {
        const body = encodeDatasetChunks(item);
        chunks.push(itemHeader(ITEM, byteLength(body)), ...body);
      }
      return chunks;
    }
    case 'OB': case 'OD': case 'OF': case 'OL': case 'OW': case 'UN':
      return [encodeBinary(element)];
    case 'US': case 'SS': case 'UL': case 'SL': case 'FL': case 'FD': case 'AT':
      return [encodeNumbers(element)];
    default:
      return [encodeText(element)];
  }
}

const byteLength = (chunks: readonly Buffer[]): number => chunks.reduce((n, c) => n + c.length, 0);

function encodeDatasetChunks(dataset: DicomDataset): Buffer[] {
  const sorted = [...dataset].sort((a, b) => a.tag - b.tag);
  const chunks: Buffer[] = [];
  let previous = -1;
  for (const element of sorted) {
    if (element.tag === previous) fail(element, 'duplicate tag');
    previous = element.tag;
    const value = encodeValue(element);
    const length = byteLength(value);
    if (!LONG_LENGTH_VRS.has(element.vr) && length > 0xffff) fail(element, `value of ${length} bytes needs a long-length VR`);
    if (length > 0xfffffffe) fail(element, 'value too large');
    chunks.push(header(element.tag, element.vr, length), ...value);
  }
  return chunks;
}

/** The dataset alone, Explicit VR Little Endian, elements in ascending tag order. */
export function encodeDataset(dataset: DicomDataset): Buffer {
  return Buffer.concat(encodeDatasetChunks(dataset));
}

function uidOf(dataset: DicomDataset, t: number, name: string): string {
  const found = dataset.find((e) => e.tag === t)?.value;
  if (typeof found !== 'string' || !isValidUid(found)) throw new RangeError(`Part 10 file needs a valid ${name}`);
  return found;
}

export const SOP_CLASS_UID_TAG = tag(0x0008, 0x0016);
export const SOP_INSTANCE_UID_TAG = tag(0x0008, 0x0018);

/**
 * A complete Part 10 file: 128-byte preamble, "DICM", the group 0002 file meta information
 * (with its group length) and the dataset. The media storage UIDs are taken from the dataset's
 * SOPClassUID and SOPInstanceUID so they cannot disagree.
 */
export function writePart10(dataset: DicomDataset): Buffer {
  if (dataset.some((e) => e.tag >>> 16 === 0x0002)) throw new RangeError('group 0002 is written by writePart10');
  const metaBody = encodeDatasetChunks([
    el(tag(0x0002, 0x0001), 'OB', new Uint8Array([0x00, 0x01])),
    el(tag(0x0002, 0x0002), 'UI', uidOf(dataset, SOP_CLASS_UID_TAG, 'SOPClassUID')),
    el(tag(0x0002, 0x0003), 'UI', uidOf(dataset, SOP_INSTANCE_UID_TAG, 'SOPInstanceUID')),
    el(tag(0x0002, 0x0010), 'UI', EXPLICIT_VR_LITTLE_ENDIAN),
    el(tag(0x0002, 0x0012), 'UI', IMPLEMENTATION_CLASS_UID),
    el(tag(0x0002, 0x0013), 'SH', IMPLEMENTATION_VERSION_NAME),
  ]);
  const groupLength = encodeDatasetChunks([el(tag(0x0002, 0x0000), 'UL', byteLength(metaBody))]);
  return Buffer.concat([
    Buffer.alloc(128),
    Buffer.from('DICM', 'latin1'),
    ...groupLength,
    ...metaBody,
    ...encodeDatasetChunks(dataset),
  ]);
}
