import type { DataSet, Element, Fragment } from 'dicom-parser';
import { DicomParseError } from './errors.js';
import type { PixelCodec } from './transfer-syntax.js';

/** A run of bytes in the stored file (or in the inflated data set, see framesRequireInflate). */
export interface ByteRange {
  offset: number;
  length: number;
}

/** One frame: the ranges to concatenate, in order (one range for native data and most codecs). */
export type FrameLocation = ByteRange[];

interface ImageGeometry {
  rows: number | undefined;
  columns: number | undefined;
  samplesPerPixel: number | undefined;
  bitsAllocated: number | undefined;
  numberOfFrames: number;
  photometricInterpretation: string | undefined;
}

/**
 * Native (uncompressed) pixel data: frame i is the i-th slice of frameSize bytes. The value may be
 * longer than needed (even-length padding, or writers that round up); it may not be shorter.
 */
export function locateNativeFrames(
  pixelData: Element,
  image: ImageGeometry,
): { frames: FrameLocation[]; packedBits: { bitsPerFrame: number } | undefined } {
  const { rows, columns, bitsAllocated, numberOfFrames } = image;
  if (!rows || !columns || !bitsAllocated) {
    throw new DicomParseError('INVALID', 'PixelData is present but Rows, Columns or BitsAllocated is missing or zero.');
  }
  let samples = image.samplesPerPixel ?? 1;
  // YBR_FULL_422 / YBR_PARTIAL_422 are stored subsampled: two chroma values per pair of pixels
  // (PS3.3 C.7.6.3.1.2), i.e. 2 samples per pixel on average instead of 3.
  if (samples === 3 && /^YBR_(FULL|PARTIAL)_422$/.test(image.photometricInterpretation ?? '')) samples = 2;
  const bitsPerFrame = rows * columns * samples * bitsAllocated;
  const needed = Math.ceil((bitsPerFrame * numberOfFrames) / 8);
  if (pixelData.length < needed) {
    throw new DicomParseError(
      'INVALID',
      `PixelData holds ${pixelData.length} bytes but ${numberOfFrames} frame(s) of ${rows}×${columns}×${samples}×${bitsAllocated} bits need ${needed}.`,
    );
  }
  const frames: FrameLocation[] = [];
  if (bitsPerFrame % 8 === 0) {
    const frameBytes = bitsPerFrame / 8;
    for (let i = 0; i < numberOfFrames; i++) frames.push([{ offset: pixelData.dataOffset + i * frameBytes, length: frameBytes }]);
    return { frames, packedBits: undefined };
  }
  for (let i = 0; i < numberOfFrames; i++) {
    const firstBit = i * bitsPerFrame;
    const firstByte = Math.floor(firstBit / 8);
    const lastByte = Math.ceil((firstBit + bitsPerFrame) / 8);
    frames.push([{ offset: pixelData.dataOffset + firstByte, length: lastByte - firstByte }]);
  }
  return { frames, packedBits: { bitsPerFrame } };
}

/**
 * Encapsulated pixel data (PS3.5 A.4). Frame starts come from, in order of trust:
 * 1. the Extended Offset Table (7FE0,0001) when present and consistent;
 * 2. the Basic Offset Table when it has one entry per frame, each on a fragment boundary;
 * 3. with an empty (or unusable) table: a single frame takes all fragments; as many fragments as
 *    frames means one fragment per frame (always true for RLE, PS3.5 A.4.2); otherwise a fragment
 *    starts a frame when it starts a codestream (JPEG/JPEG-LS SOI FFD8, JPEG 2000 SOC FF4F or a
 *    JP2 signature box), which is how dicom-parser's createJPEGBasicOffsetTable reasons too.
 * Video transfer syntaxes hold one stream for all frames: a single entry with every fragment.
 * Anything else cannot be indexed and is refused as INVALID.
 */
export function locateEncapsulatedFrames(dataSet: DataSet, pixelData: Element, numberOfFrames: number, codec: PixelCodec): FrameLocation[] {
  const fragments = pixelData.fragments ?? [];
  if (fragments.length === 0) throw new DicomParseError('INVALID', 'Encapsulated PixelData has no fragment.');
  const asRange = (f: Fragment): ByteRange => ({ offset: f.position, length: f.length });
  const group = (starts: number[]): FrameLocation[] =>
    starts.map((start, i) => fragments.slice(start, starts[i + 1] ?? fragments.length).map(asRange));

  if (codec === 'video') return [fragments.map(asRange)];

  const byOffset = new Map<number, number>();
  fragments.forEach((f, i) => byOffset.set(f.offset, i));
  const startsFromTable = (offsets: readonly number[]): number[] | undefined => {
    if (offsets.length !== numberOfFrames) return undefined;
    const starts: number[] = [];
    for (const offset of offsets) {
      const index = byOffset.get(offset);
      if (index === undefined || (starts.length > 0 && index <= (starts[starts.length - 1] ?? -1))) return undefined;
      starts.push(index);
    }
    return starts[0] === 0 ? starts : undefined;
  };

  const extended = readExtendedOffsetTable(dataSet);
  const fromExtended = extended ? startsFromTable(extended) : undefined;
  if (fromExtended) return group(fromExtended);

  const fromBasic = startsFromTable(pixelData.basicOffsetTable ?? []);
  if (fromBasic) return group(fromBasic);

  if (numberOfFrames === 1) return [fragments.map(asRange)];
  if (fragments.length === numberOfFrames) return fragments.map((f) => [asRange(f)]);

  if (codec === 'jpeg' || codec === 'jpeg-ls' || codec === 'jpeg2000' || codec === 'htj2k') {
    const bytes = dataSet.byteArray;
    const starts: number[] = [];
    fragments.forEach((f, i) => {
      if (startsCodestream(bytes, f.position, f.length, codec)) starts.push(i);
    });
    if (starts.length === numberOfFrames && starts[0] === 0) return group(starts);
  }
  throw new DicomParseError(
    'INVALID',
    `Cannot tell which of the ${fragments.length} PixelData fragments start each of the ${numberOfFrames} frames.`,
  );
}

function startsCodestream(bytes: Uint8Array, position: number, length: number, codec: PixelCodec): boolean {
  const at = (i: number): number => (i < length ? (bytes[position + i] ?? -1) : -1);
  if (codec === 'jpeg' || codec === 'jpeg-ls') return at(0) === 0xff && at(1) === 0xd8;
  if (at(0) === 0xff && at(1) === 0x4f && at(2) === 0xff && at(3) === 0x51) return true;
  // JP2 file format: signature box 0000000C 6A502020.
  return at(0) === 0 && at(1) === 0 && at(2) === 0 && at(3) === 0x0c && at(4) === 0x6a && at(5) === 0x50;
}

/** Extended Offset Table (7FE0,0001): 64-bit offsets, little endian like every encapsulated syntax. */
function readExtendedOffsetTable(dataSet: DataSet): number[] | undefined {
  const element = dataSet.elements.x7fe00001;
  if (!element || element.length === 0 || element.length % 8 !== 0) return undefined;
  const bytes = dataSet.byteArray;
  const view = new DataView(bytes.buffer, bytes.byteOffset + element.dataOffset, element.length);
  const offsets: number[] = [];
  for (let i = 0; i < element.length; i += 8) {
    const value = view.getBigUint64(i, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
    offsets.push(Number(value));
  }
  return offsets;
}
