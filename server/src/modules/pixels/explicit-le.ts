import type { DataSet, Element } from 'dicom-parser';
import { dictionaryVr, TransferSyntax, type ParsedInstance } from '../dicom/index.js';
import { resolveAmbiguousVr } from '../dicom/dictionary.js';

/**
 * An instance re-encoded in Explicit VR Little Endian (PS3.18's default transfer syntax), its
 * pixel data replaced by native frames. Every other attribute is copied as stored, byte for
 * byte (swapped from big endian where the source was), in sequences too; VRs of an implicit
 * source come from the dictionary.
 */
export interface NativePixels {
  frames: Uint8Array[];
  bitsAllocated: number;
  /** What decoding changed (a JPEG's YBR comes back as RGB, samples interleaved). */
  photometric: string;
  planarConfiguration: 0 | 1;
}

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT']);
const WORD: Record<string, number> = { US: 2, SS: 2, OW: 2, AT: 2, UL: 4, SL: 4, FL: 4, OF: 4, OL: 4, FD: 8, OD: 8, SV: 8, UV: 8, OV: 8 };
const IMPLEMENTATION_CLASS_UID = '1.2.826.0.1.3680043.10.1466.1';
const IMPLEMENTATION_VERSION = 'E-MAGE_1';

class Writer {
  private readonly chunks: Uint8Array[] = [];
  size = 0;
  push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.size += bytes.length;
  }
  result(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}

function header(tag: number, vr: string, length: number): Buffer {
  const long = LONG_VRS.has(vr);
  const b = Buffer.alloc(long ? 12 : 8);
  b.writeUInt16LE(tag >>> 16, 0);
  b.writeUInt16LE(tag & 0xffff, 2);
  b.write(vr, 4, 'latin1');
  if (long) b.writeUInt32LE(length, 8);
  else {
    if (length > 0xffff) throw new RangeError(`A ${vr} value of ${length} bytes cannot be written in Explicit VR`);
    b.writeUInt16LE(length, 6);
  }
  return b;
}

function tagNumber(tag: string): number {
  return Number.parseInt(tag.slice(1), 16) >>> 0;
}

function padded(value: Uint8Array, vr: string): Uint8Array {
  if (value.length % 2 === 0) return value;
  const out = new Uint8Array(value.length + 1);
  out.set(value);
  // PS3.5 6.2: UI values are padded with NUL, other text with a space, binary with 0.
  out[value.length] = ['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UR', 'UT'].includes(vr) ? 0x20 : 0;
  return out;
}

function valueBytes(dataSet: DataSet, element: Element, vr: string, littleEndian: boolean): Uint8Array {
  const bytes = dataSet.byteArray.subarray(element.dataOffset, element.dataOffset + element.length);
  const width = WORD[vr];
  if (littleEndian || !width) return bytes;
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i + width <= bytes.length; i += width) for (let b = 0; b < width; b++) out[i + b] = bytes[i + width - 1 - b]!;
  return out;
}

interface Context {
  implicitVr: boolean;
  littleEndian: boolean;
  pixelRepresentation: number | undefined;
}

function writeDataSet(dataSet: DataSet, context: Context, out: Writer, replace: Map<string, { vr: string; value: Uint8Array }>): void {
  const tags = Object.keys(dataSet.elements).filter((t) => !t.startsWith('x0002')).sort();
  for (const tag of tags) {
    const element = dataSet.elements[tag]!;
    const replacement = replace.get(tag);
    if (replacement) {
      const value = padded(replacement.value, replacement.vr);
      out.push(header(tagNumber(tag), replacement.vr, value.length));
      out.push(value);
      continue;
    }
    const explicit = !context.implicitVr && element.vr ? element.vr : undefined;
    let vr = explicit ?? resolveAmbiguousVr(dictionaryVr(tag) ?? 'UN', context.pixelRepresentation);
    if (element.items) vr = 'SQ';
    if (vr === 'SQ' || element.items) {
      const body = new Writer();
      for (const item of element.items ?? []) {
        const itemBody = new Writer();
        if (item.dataSet) writeDataSet(item.dataSet, context, itemBody, new Map());
        const itemHeader = Buffer.alloc(8);
        itemHeader.writeUInt32LE(0xe000fffe, 0);
        itemHeader.writeUInt32LE(itemBody.size, 4);
        body.push(itemHeader);
        body.push(itemBody.result());
      }
      out.push(header(tagNumber(tag), 'SQ', body.size));
      out.push(body.result());
      continue;
    }
    if (element.hadUndefinedLength) {
      // Only encapsulated pixel data has an undefined length outside sequences; it is replaced above.
      continue;
    }
    const value = padded(valueBytes(dataSet, element, vr, context.littleEndian), vr);
    out.push(header(tagNumber(tag), vr, value.length));
    out.push(value);
  }
}

function text(value: string, pad: number): Buffer {
  const b = Buffer.from(value, 'latin1');
  return b.length % 2 === 0 ? b : Buffer.concat([b, Buffer.from([pad])]);
}

function fileMeta(parsed: ParsedInstance): Buffer {
  const elements: Array<[number, string, Buffer]> = [
    [0x00020001, 'OB', Buffer.from([0, 1])],
    [0x00020002, 'UI', text(parsed.sopClassUid, 0)],
    [0x00020003, 'UI', text(parsed.sopInstanceUid, 0)],
    [0x00020010, 'UI', text(TransferSyntax.ExplicitVRLittleEndian, 0)],
    [0x00020012, 'UI', text(IMPLEMENTATION_CLASS_UID, 0)],
    [0x00020013, 'SH', text(IMPLEMENTATION_VERSION, 0x20)],
  ];
  const body = Buffer.concat(elements.flatMap(([tag, vr, value]) => [header(tag, vr, value.length), value]));
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(body.length);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), header(0x00020000, 'UL', 4), groupLength, body]);
}

export function toExplicitLittleEndian(parsed: ParsedInstance, pixels: NativePixels | undefined): Buffer {
  const out = new Writer();
  out.push(fileMeta(parsed));
  const replace = new Map<string, { vr: string; value: Uint8Array }>();
  if (pixels) {
    replace.set('x7fe00010', { vr: pixels.bitsAllocated > 8 ? 'OW' : 'OB', value: Buffer.concat(pixels.frames) });
    replace.set('x00280004', { vr: 'CS', value: Buffer.from(pixels.photometric, 'latin1') });
    if (parsed.dataSet.elements.x00280006 !== undefined || (parsed.instance.samplesPerPixel ?? 1) > 1) {
      const pc = Buffer.alloc(2);
      pc.writeUInt16LE(pixels.planarConfiguration);
      replace.set('x00280006', { vr: 'US', value: pc });
    }
    // Lossy compression stays recorded (PS3.3 C.7.6.1.1.5): decoding does not undo it.
  }
  // Elements the source lacks (PlanarConfiguration for colour) are written in tag order by
  // giving the writer a view of the data set that includes them.
  const elements = { ...parsed.dataSet.elements };
  for (const tag of replace.keys()) elements[tag] ??= { tag, length: 0, dataOffset: 0 } as Element;
  writeDataSet({ ...parsed.dataSet, elements } as DataSet, { implicitVr: parsed.implicitVr, littleEndian: parsed.transferSyntax.littleEndian, pixelRepresentation: parsed.instance.pixelRepresentation }, out, replace);
  return out.result();
}
