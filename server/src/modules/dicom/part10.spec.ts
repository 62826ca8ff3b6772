import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DicomParseError, FailureReason, type DicomParseErrorReason } from './errors.js';
import { ENCAPSULATED_PDF_SOP_CLASS, extractFrame, frameToLittleEndian, inflateDataSet, parsePart10, readFrame } from './part10.js';
import { baseInstance, buildPart10, imagePixel } from './testing/build-part10.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/dicom');
const fixture = (name: string): Buffer => readFileSync(path.join(fixtures, name));

function parseError(bytes: Uint8Array, options?: Parameters<typeof parsePart10>[1]): DicomParseError {
  try {
    parsePart10(bytes, options);
  } catch (error) {
    expect(error).toBeInstanceOf(DicomParseError);
    return error as DicomParseError;
  }
  throw new Error('expected a DicomParseError');
}

describe('parsePart10 on real files', () => {
  it('reads identifiers, patient, study, series and image attributes of MR_small', () => {
    const parsed = parsePart10(fixture('MR_small.dcm'));
    expect(parsed).toMatchObject({
      transferSyntaxUid: '1.2.840.10008.1.2.1',
      sopClassUid: '1.2.840.10008.5.1.4.1.1.4',
      sopInstanceUid: '1.3.6.1.4.1.5962.1.1.4.1.1.20040826185059.5457',
      studyInstanceUid: '1.3.6.1.4.1.5962.1.2.4.20040826185059.5457',
      seriesInstanceUid: '1.3.6.1.4.1.5962.1.3.4.1.20040826185059.5457',
      patient: { id: '4MR1', sex: 'F' },
      series: { modality: 'MR' },
      instance: { rows: 64, columns: 64, numberOfFrames: 1, bitsAllocated: 16, bitsStored: 16, samplesPerPixel: 1, photometricInterpretation: 'MONOCHROME2' },
      hasPixelData: true,
      framesRequireInflate: false,
      isEncapsulatedDocument: false,
    });
    expect(parsed.patient.name?.raw).toBe('CompressedSamples^MR1');
    expect(parsed.patient.name?.decoded).toBe('CompressedSamples MR1');
    expect(parsed.frames).toEqual([[{ offset: parsed.dataSet.elements.x7fe00010?.dataOffset, length: 8192 }]]);
  });

  it('gives the same frame bytes for the implicit VR copy and byte-swapped ones for big endian', () => {
    const explicit = fixture('MR_small.dcm');
    const implicit = fixture('MR_small_implicit.dcm');
    const bigEndian = fixture('MR_small_bigendian.dcm');
    const a = parsePart10(explicit);
    const b = parsePart10(implicit);
    const c = parsePart10(bigEndian);
    expect(b.implicitVr).toBe(true);
    // Buffer.equals: vitest's deep equality walks byte by byte and takes seconds on images.
    expect(readFrame(implicit, b.frames[0] ?? []).equals(readFrame(explicit, a.frames[0] ?? []))).toBe(true);
    // Frames are served as stored: big endian pixels stay big endian (transferSyntax.littleEndian says so).
    expect(c.transferSyntax.littleEndian).toBe(false);
    const swapped = Buffer.from(readFrame(bigEndian, c.frames[0] ?? [])).swap16();
    expect(swapped.equals(readFrame(explicit, a.frames[0] ?? []))).toBe(true);
    expect(frameToLittleEndian(extractFrame(bigEndian, c, 0), c).equals(extractFrame(explicit, a, 0))).toBe(true);
    expect(frameToLittleEndian(extractFrame(explicit, a, 0), a).equals(extractFrame(explicit, a, 0))).toBe(true);
  });

  it('maps each RLE fragment to its frame', () => {
    const bytes = fixture('SC_rgb_rle_2frame.dcm');
    const parsed = parsePart10(bytes);
    expect(parsed.instance.numberOfFrames).toBe(2);
    expect(parsed.frames).toHaveLength(2);
    const pixelData = parsed.dataSet.elements.x7fe00010;
    expect(parsed.frames.map((f) => f[0]?.offset)).toEqual(pixelData?.fragments?.map((f) => f.position));
    // An RLE frame starts with its 64-byte header: the segment count (3 for RGB) then offset 64.
    const first = readFrame(bytes, parsed.frames[0] ?? []);
    expect(first.readUInt32LE(0)).toBe(3);
    expect(first.readUInt32LE(4)).toBe(64);
  });

  it('sizes uncompressed YBR_FULL_422 frames as two samples per pixel', () => {
    const parsed = parsePart10(fixture('SC_ybr_full_422_uncompressed.dcm'));
    expect(parsed.frames[0]?.[0]?.length).toBe(100 * 100 * 2);
  });

  it('points the ranges of a deflated file into the inflated data set', () => {
    const bytes = fixture('deflated.dcm');
    const parsed = parsePart10(bytes);
    expect(parsed.transferSyntax.deflated).toBe(true);
    expect(parsed.framesRequireInflate).toBe(true);
    expect(parsed.studyInstanceUid).toBe('1.3.6.1.4.1.5962.1.2.0.977067310.6001.0');
    const inflated = inflateDataSet(bytes);
    expect(inflated.length).toBeGreaterThan(bytes.length);
    const frame = extractFrame(bytes, parsed, 0);
    expect(frame.length).toBe(512 * 512);
    expect(frame.equals(readFrame(inflated, parsed.frames[0] ?? []))).toBe(true);
  });

  it('decodes the JPEG extended frame as one fragment starting with SOI', () => {
    const bytes = fixture('JPGExtended.dcm');
    const parsed = parsePart10(bytes);
    const frame = extractFrame(bytes, parsed, 0);
    expect([frame[0], frame[1]]).toEqual([0xff, 0xd8]);
  });
});

describe('parsePart10 refuses bad input with a stable reason', () => {
  const cases: [string, () => Uint8Array, DicomParseErrorReason, number][] = [
    ['an empty body', () => new Uint8Array(0), 'NOT_DICOM', FailureReason.CANNOT_UNDERSTAND],
    ['a text file', () => Buffer.from('hello world, this is not DICOM'.repeat(10)), 'NOT_DICOM', 0xc000],
    ['a file truncated inside PixelData', () => fixture('pydicom_MR_truncated.dcm'), 'TRUNCATED', 0xc000],
    ['a data set without file meta (default)', () => fixture('pydicom_rtstruct_no_meta.dcm'), 'NOT_DICOM', 0xc000],
    [
      'a private transfer syntax',
      () => buildPart10(baseInstance(), '1.2.3.4.5.6'),
      'UNSUPPORTED_TRANSFER_SYNTAX',
      FailureReason.TRANSFER_SYNTAX_NOT_SUPPORTED,
    ],
    [
      'no StudyInstanceUID',
      () => buildPart10(baseInstance().filter((e) => e.tag !== 0x0020000d)),
      'MISSING_STUDY_INSTANCE_UID',
      FailureReason.DATA_SET_DOES_NOT_MATCH_SOP_CLASS,
    ],
    ['no SeriesInstanceUID', () => buildPart10(baseInstance().filter((e) => e.tag !== 0x0020000e)), 'MISSING_SERIES_INSTANCE_UID', 0xa900],
    ['a UID with letters', () => buildPart10(baseInstance({ sopInstanceUid: '1.2.abc' })), 'INVALID', 0xc000],
    [
      'native PixelData shorter than Rows × Columns',
      () => buildPart10([...baseInstance(), ...imagePixel(4, 4, 8), { tag: 0x7fe00010, vr: 'OB', bytes: new Uint8Array(10) }]),
      'INVALID',
      0xc000,
    ],
    [
      'a Color Palette (not a patient object)',
      () => buildPart10(baseInstance({ sopClassUid: '1.2.840.10008.5.1.4.39.1' })),
      'SOP_CLASS_NOT_SUPPORTED',
      FailureReason.SOP_CLASS_NOT_SUPPORTED,
    ],
    [
      'an encapsulated PDF without its document',
      () => buildPart10(baseInstance({ sopClassUid: ENCAPSULATED_PDF_SOP_CLASS })),
      'MISSING_ENCAPSULATED_DOCUMENT',
      0xa900,
    ],
  ];
  it.each(cases)('%s', (_name, bytes, reason, failureReason) => {
    const error = parseError(bytes());
    expect(error.reason).toBe(reason);
    expect(error.failureReason).toBe(failureReason);
    expect(error.message).toMatch(/^[A-Z][^\n]+\.$/);
  });

  it('refuses every cut of a file that ends inside PixelData', () => {
    const whole = fixture('CT_small.dcm');
    const pixelStart = parsePart10(whole).dataSet.elements.x7fe00010?.dataOffset ?? 0;
    // From inside the PixelData element header (a cut exactly before it is a valid header-only file).
    for (let end = pixelStart - 11; end < whole.length; end += 997) {
      expect(parseError(whole.subarray(0, end)).reason, `cut at ${end}`).toBe('TRUNCATED');
    }
    expect(parseError(whole.subarray(0, whole.length - 1)).reason).toBe('TRUNCATED');
  });

  it('refuses encapsulated PixelData cut before its sequence delimiter', () => {
    const whole = fixture('SC_rgb_rle_2frame.dcm');
    for (const cut of [1, 8, 100]) expect(parseError(whole.subarray(0, whole.length - cut)).reason).toBe('TRUNCATED');
  });

  it('never throws anything but DicomParseError on every prefix of a small file', () => {
    const whole = fixture('MR_small_implicit.dcm');
    for (let end = 0; end < 1600; end += 7) {
      try {
        parsePart10(whole.subarray(0, end));
      } catch (error) {
        expect(error, `cut at ${end}`).toBeInstanceOf(DicomParseError);
      }
    }
  });
});

describe('parsePart10 with allowRawDataSet', () => {
  it('accepts a bare implicit VR data set with an assumed Implicit VR Little Endian', () => {
    const parsed = parsePart10(fixture('pydicom_rtstruct_no_meta.dcm'), { allowRawDataSet: true });
    expect(parsed.transferSyntaxUid).toBe('1.2.840.10008.1.2');
    expect(parsed.sopClassUid).toBe('1.2.840.10008.5.1.4.1.1.481.3');
    expect(parsed.patient.name?.raw).toBe('Test^Phantom30sep');
  });
});

describe('synthetic instances', () => {
  it('indexes an Encapsulated PDF document without counting the pad byte', () => {
    const pdf = Buffer.from('%PDF-1.4\n%test\n%%EOF');
    const bytes = buildPart10([
      ...baseInstance({ sopClassUid: ENCAPSULATED_PDF_SOP_CLASS }),
      { tag: 0x00420011, vr: 'OB', bytes: pdf },
      { tag: 0x00420012, vr: 'LO', value: 'application/pdf' },
      { tag: 0x00420015, vr: 'UL', value: [pdf.length] },
    ]);
    const parsed = parsePart10(bytes);
    expect(parsed.isEncapsulatedDocument).toBe(true);
    expect(parsed.hasPixelData).toBe(false);
    expect(parsed.encapsulatedDocument?.mimeType).toBe('application/pdf');
    expect(readFrame(bytes, [parsed.encapsulatedDocument?.range ?? { offset: 0, length: 0 }])).toEqual(pdf);
  });

  it('uses the Basic Offset Table to group several fragments per frame', () => {
    const soi = (n: number): Uint8Array => Uint8Array.from([0xff, 0xd8, n, n]);
    const tail = (n: number): Uint8Array => Uint8Array.from([n, n, 0xff, 0xd9]);
    // Frame 0 = 2 fragments, frame 1 = 1, frame 2 = 2; offsets count item headers (8 bytes).
    const fragments = [soi(1), tail(1), soi(2), soi(3), tail(3)];
    const bytes = buildPart10(
      [...baseInstance(), ...imagePixel(2, 2, 8, 3), { tag: 0x7fe00010, encapsulated: { offsetTable: [0, 24, 36], fragments } }],
      '1.2.840.10008.1.2.4.50',
    );
    const parsed = parsePart10(bytes);
    expect(parsed.frames.map((f) => f.length)).toEqual([2, 1, 2]);
    expect([...extractFrame(bytes, parsed, 2)]).toEqual([0xff, 0xd8, 3, 3, 3, 3, 0xff, 0xd9]);
  });

  it('finds JPEG frame starts when the Basic Offset Table is empty', () => {
    const fragments = [
      Uint8Array.from([0xff, 0xd8, 1, 1]),
      Uint8Array.from([1, 1, 0xff, 0xd9]),
      Uint8Array.from([0xff, 0xd8, 2, 0xd9]),
    ];
    const bytes = buildPart10(
      [...baseInstance(), ...imagePixel(2, 2, 8, 2), { tag: 0x7fe00010, encapsulated: { offsetTable: [], fragments } }],
      '1.2.840.10008.1.2.4.50',
    );
    const parsed = parsePart10(bytes);
    expect(parsed.frames.map((f) => f.length)).toEqual([2, 1]);
  });

  it('refuses fragments it cannot assign to frames', () => {
    const fragments = [Uint8Array.from([1, 2]), Uint8Array.from([3, 4]), Uint8Array.from([5, 6])];
    const bytes = buildPart10(
      [...baseInstance(), ...imagePixel(2, 2, 8, 2), { tag: 0x7fe00010, encapsulated: { offsetTable: [], fragments } }],
      '1.2.840.10008.1.2.5',
    );
    expect(parseError(bytes).reason).toBe('INVALID');
  });

  it('unpacks 1-bit frames that do not start on a byte boundary', () => {
    // 3 frames of 3×3 = 9 bits each, packed LSB first with no padding between frames.
    const bits = [1, 0, 1, 0, 1, 0, 1, 0, 1, /**/ 1, 1, 1, 0, 0, 0, 1, 1, 1, /**/ 0, 0, 0, 0, 1, 0, 0, 0, 0];
    const packed = new Uint8Array(Math.ceil(bits.length / 8) + 1);
    bits.forEach((bit, i) => {
      packed[i >> 3] = (packed[i >> 3] ?? 0) | (bit << (i & 7));
    });
    const bytes = buildPart10([...baseInstance(), ...imagePixel(3, 3, 1, 3), { tag: 0x7fe00010, vr: 'OB', bytes: packed }]);
    const parsed = parsePart10(bytes);
    expect(parsed.packedBits).toEqual({ bitsPerFrame: 9 });
    for (let f = 0; f < 3; f++) {
      const frame = extractFrame(bytes, parsed, f);
      const unpacked = Array.from({ length: 9 }, (_, i) => ((frame[i >> 3] ?? 0) >> (i & 7)) & 1);
      expect(unpacked).toEqual(bits.slice(f * 9, f * 9 + 9));
    }
  });

  it('locates frame N of a 200-frame instance from its stored range, without parsing', () => {
    const frameBytes = 16 * 16 * 2;
    const pixels = Buffer.alloc(frameBytes * 200);
    for (let f = 0; f < 200; f++) pixels.fill(f, f * frameBytes, (f + 1) * frameBytes);
    const bytes = buildPart10([...baseInstance(), ...imagePixel(16, 16, 16, 200), { tag: 0x7fe00010, vr: 'OW', bytes: pixels }]);
    const stored = JSON.parse(JSON.stringify(parsePart10(bytes).frames)) as { offset: number; length: number }[][];
    const frame = readFrame(bytes, stored[137] ?? []);
    expect(frame.length).toBe(frameBytes);
    expect(frame.every((b) => b === 137)).toBe(true);
  });
});
