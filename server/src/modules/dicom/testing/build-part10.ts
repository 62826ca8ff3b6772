/**
 * A deliberately small Explicit VR Little Endian PS3.10 writer for specs: builds the edge cases
 * the public corpus lacks (encapsulated PDF, offset tables, packed 1-bit frames). Not for
 * production: it writes what it is told, valid or not.
 */

export type TestValue =
  | { tag: number; vr: string; value: string }
  | { tag: number; vr: 'US' | 'UL'; value: number[] }
  | { tag: number; vr: string; bytes: Uint8Array }
  | { tag: number; vr: 'SQ'; items: TestValue[][] }
  | { tag: number; encapsulated: { offsetTable: number[]; fragments: Uint8Array[] } };

const LONG_LENGTH_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);

function header(tag: number, vr: string, length: number, le: boolean): Buffer {
  const long = LONG_LENGTH_VRS.has(vr);
  const b = Buffer.alloc(long ? 12 : 8);
  if (le) {
    b.writeUInt16LE(tag >>> 16, 0);
    b.writeUInt16LE(tag & 0xffff, 2);
  } else {
    b.writeUInt16BE(tag >>> 16, 0);
    b.writeUInt16BE(tag & 0xffff, 2);
  }
  b.write(vr, 4, 'latin1');
  if (long) {
    if (le) b.writeUInt32LE(length, 8);
    else b.writeUInt32BE(length, 8);
  } else if (le) b.writeUInt16LE(length, 6);
  else b.writeUInt16BE(length, 6);
  return b;
}

function item(tag: number, length: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(tag >>> 16, 0);
  b.writeUInt16LE(tag & 0xffff, 2);
  b.writeUInt32LE(length, 4);
  return b;
}

/** Encodes elements in Explicit VR, little endian unless `le` is false (binary `bytes` are written as given). */
export function encodeElements(elements: TestValue[], le = true): Buffer {
  const parts: Buffer[] = [];
  for (const e of [...elements].sort((a, b) => a.tag - b.tag)) {
    if ('encapsulated' in e) {
      const table = Buffer.alloc(e.encapsulated.offsetTable.length * 4);
      e.encapsulated.offsetTable.forEach((o, i) => table.writeUInt32LE(o, i * 4));
      parts.push(header(e.tag, 'OB', 0xffffffff, true), item(0xfffee000, table.length), table);
      for (const fragment of e.encapsulated.fragments) parts.push(item(0xfffee000, fragment.length), Buffer.from(fragment));
      parts.push(item(0xfffee0dd, 0));
    } else if ('items' in e) {
      if (!le) throw new Error('sequences are only written little endian');
      parts.push(header(e.tag, 'SQ', 0xffffffff, true));
      for (const content of e.items) {
        parts.push(item(0xfffee000, 0xffffffff), encodeElements(content), item(0xfffee00d, 0));
      }
      parts.push(item(0xfffee0dd, 0));
    } else {
      let value: Buffer;
      if ('bytes' in e) value = Buffer.from(e.bytes);
      else if (typeof e.value === 'string') value = Buffer.from(e.value, e.vr === 'UT' || e.vr === 'PN' || e.vr === 'LO' ? 'utf8' : 'latin1');
      else if (e.vr === 'US') {
        value = Buffer.alloc(e.value.length * 2);
        e.value.forEach((v, i) => (le ? value.writeUInt16LE(v, i * 2) : value.writeUInt16BE(v, i * 2)));
      } else {
        value = Buffer.alloc(e.value.length * 4);
        e.value.forEach((v, i) => (le ? value.writeUInt32LE(v, i * 4) : value.writeUInt32BE(v, i * 4)));
      }
      if (value.length % 2 === 1) value = Buffer.concat([value, Buffer.from([e.vr === 'UI' || 'bytes' in e ? 0 : 0x20])]);
      parts.push(header(e.tag, e.vr, value.length, le), value);
    }
  }
  return Buffer.concat(parts);
}

/** A PS3.10 file: preamble, DICM, file meta (with group length), then the data set. */
export function buildPart10(dataSet: TestValue[], transferSyntaxUid = '1.2.840.10008.1.2.1'): Buffer {
  const sopClass = dataSet.find((e) => e.tag === 0x00080016);
  const sopInstance = dataSet.find((e) => e.tag === 0x00080018);
  const meta = encodeElements([
    { tag: 0x00020001, vr: 'OB', bytes: Uint8Array.from([0, 1]) },
    ...(sopClass && 'value' in sopClass ? [{ ...sopClass, tag: 0x00020002 }] : []),
    ...(sopInstance && 'value' in sopInstance ? [{ ...sopInstance, tag: 0x00020003 }] : []),
    { tag: 0x00020010, vr: 'UI', value: transferSyntaxUid },
  ] as TestValue[]);
  const groupLength = encodeElements([{ tag: 0x00020000, vr: 'UL', value: [meta.length] }]);
  const bigEndian = transferSyntaxUid === '1.2.840.10008.1.2.2';
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), groupLength, meta, encodeElements(dataSet, !bigEndian)]);
}

/** The four UIDs every stored instance needs, plus a patient. */
export function baseInstance(overrides: { sopClassUid?: string; sopInstanceUid?: string } = {}): TestValue[] {
  return [
    { tag: 0x00080016, vr: 'UI', value: overrides.sopClassUid ?? '1.2.840.10008.5.1.4.1.1.7' },
    { tag: 0x00080018, vr: 'UI', value: overrides.sopInstanceUid ?? '1.2.826.0.1.3680043.8.498.1' },
    { tag: 0x00080060, vr: 'CS', value: 'OT' },
    { tag: 0x00100010, vr: 'PN', value: 'Test^Patient' },
    { tag: 0x00100020, vr: 'LO', value: 'TEST-1' },
    { tag: 0x0020000d, vr: 'UI', value: '1.2.826.0.1.3680043.8.498.2' },
    { tag: 0x0020000e, vr: 'UI', value: '1.2.826.0.1.3680043.8.498.3' },
  ];
}

/** Image pixel module attributes for a monochrome image. */
export function imagePixel(rows: number, columns: number, bitsAllocated: number, frames?: number): TestValue[] {
  return [
    { tag: 0x00280002, vr: 'US', value: [1] },
    { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
    ...(frames === undefined ? [] : [{ tag: 0x00280008, vr: 'IS', value: String(frames) } as TestValue]),
    { tag: 0x00280010, vr: 'US', value: [rows] },
    { tag: 0x00280011, vr: 'US', value: [columns] },
    { tag: 0x00280100, vr: 'US', value: [bitsAllocated] },
    { tag: 0x00280101, vr: 'US', value: [bitsAllocated] },
    { tag: 0x00280102, vr: 'US', value: [bitsAllocated - 1] },
    { tag: 0x00280103, vr: 'US', value: [0] },
  ];
}
