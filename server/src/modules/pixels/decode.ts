import { createRequire } from 'node:module';
import { transferSyntaxInfo } from '../dicom/index.js';
import type { PixelModule } from './pixel-module.js';
import { markJpegAsRgb } from './jpeg-colour.js';
import { decodeJpegExtended, JpegDecodeError } from './jpeg-extended.js';
import { decodeRle } from './rle.js';
import { decodeJpeg2000, decodeJpegBaseline, decodeJpegLs, type CodecOutput } from './wasm-codecs.js';

const require = createRequire(import.meta.url);

/**
 * One frame's pixels in native little endian (what Explicit VR Little Endian would hold),
 * with what decoding may have changed: a JPEG decoder hands back RGB for YBR, and interleaved
 * samples whatever the stored planar configuration.
 */
export interface DecodedFrame {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  signed: boolean;
  photometric: string;
  planarConfiguration: 0 | 1;
  data: Uint8Array;
}

export class UnsupportedPixelsError extends Error {
  override name = 'UnsupportedPixelsError';
}

export class CorruptPixelsError extends Error {
  override name = 'CorruptPixelsError';
}

/** Whether frames of this transfer syntax can be decoded at all (the bit depth is checked later). */
export function canDecodeSyntax(transferSyntaxUid: string): boolean {
  return canDecode(transferSyntaxUid, { bitsAllocated: 8 }) || canDecode(transferSyntaxUid, { bitsAllocated: 16 });
}

/** Transfer syntaxes whose frames this module decodes (the conformance statement lists them). */
export function canDecode(transferSyntaxUid: string, pm: Pick<PixelModule, 'bitsAllocated'>): boolean {
  const info = transferSyntaxInfo(transferSyntaxUid);
  if (!info) return false;
  switch (info.codec) {
    case 'native':
      return [1, 8, 16, 32].includes(pm.bitsAllocated);
    case 'rle':
      return pm.bitsAllocated % 8 === 0;
    case 'jpeg':
      return ['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51', '1.2.840.10008.1.2.4.57', '1.2.840.10008.1.2.4.70'].includes(transferSyntaxUid);
    case 'jpeg-ls':
    case 'jpeg2000':
      return true;
    default:
      return false;
  }
}

function swapBytes(frame: Uint8Array, bytesPerSample: number): Uint8Array {
  const out = new Uint8Array(frame.length);
  for (let i = 0; i + bytesPerSample <= frame.length; i += bytesPerSample) {
    for (let b = 0; b < bytesPerSample; b++) out[i + b] = frame[i + bytesPerSample - 1 - b]!;
  }
  return out;
}

/** 1-bit pixels (already one frame, least significant bit first) as one byte each. */
function unpackBits(frame: Uint8Array, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) out[i] = (frame[i >> 3]! >> (i & 7)) & 1;
  return out;
}

function fromCodec(pm: PixelModule, out: CodecOutput, photometric: string): DecodedFrame {
  const { info } = out;
  if (info.width !== pm.columns || info.height !== pm.rows) {
    throw new CorruptPixelsError(`The frame is ${info.width}×${info.height}, the instance says ${pm.columns}×${pm.rows}`);
  }
  const bytesPerSample = info.bitsPerSample > 8 ? 2 : 1;
  const expected = pm.rows * pm.columns * info.componentCount * bytesPerSample;
  if (out.data.length < expected) throw new CorruptPixelsError('The frame decoded to fewer pixels than the image has');
  return {
    rows: pm.rows,
    columns: pm.columns,
    samplesPerPixel: info.componentCount,
    bitsAllocated: bytesPerSample * 8,
    bitsStored: Math.min(pm.bitsStored, bytesPerSample * 8),
    signed: pm.pixelRepresentation === 1,
    photometric,
    planarConfiguration: out.interleaveMode === 0 && info.componentCount > 1 ? 1 : 0,
    data: out.data.subarray(0, expected),
  };
}

/** What a JPEG-family decoder gives back for colour: RGB (YBR is converted by the codec). */
function decodedColour(pm: PixelModule, components: number): string {
  if (components === 1) return pm.photometric === 'MONOCHROME1' ? 'MONOCHROME1' : pm.photometric === 'PALETTE COLOR' ? 'PALETTE COLOR' : 'MONOCHROME2';
  return 'RGB';
}

export async function decodeFrame(transferSyntaxUid: string, frame: Uint8Array, pm: PixelModule): Promise<DecodedFrame> {
  const info = transferSyntaxInfo(transferSyntaxUid);
  if (!info || !canDecode(transferSyntaxUid, pm)) throw new UnsupportedPixelsError(`Frames in ${transferSyntaxUid} cannot be decoded here`);
  const base = {
    rows: pm.rows,
    columns: pm.columns,
    samplesPerPixel: pm.samplesPerPixel,
    bitsAllocated: pm.bitsAllocated,
    bitsStored: pm.bitsStored,
    signed: pm.pixelRepresentation === 1,
    photometric: pm.photometric,
    planarConfiguration: pm.planarConfiguration,
  };
  try {
    switch (info.codec) {
      case 'native': {
        if (pm.bitsAllocated === 1) return { ...base, bitsAllocated: 8, bitsStored: 1, data: unpackBits(frame, pm.rows * pm.columns * pm.samplesPerPixel) };
        const bytes = pm.bitsAllocated / 8;
        return { ...base, data: info.littleEndian || bytes === 1 ? frame : swapBytes(frame, bytes) };
      }
      case 'rle':
        return { ...base, data: decodeRle(frame, pm.rows, pm.columns, pm.samplesPerPixel, pm.bitsAllocated, pm.planarConfiguration) };
      case 'jpeg': {
        if (transferSyntaxUid === '1.2.840.10008.1.2.4.57' || transferSyntaxUid === '1.2.840.10008.1.2.4.70') return decodeJpegLossless(frame, pm, base);
        if (jpegPrecision(frame) > 8) return decodeTwelveBit(frame, pm, base);
        const out = await decodeJpegBaseline(pm.photometric === 'RGB' && pm.samplesPerPixel === 3 ? markJpegAsRgb(frame) : frame);
        return fromCodec(pm, out, decodedColour(pm, out.info.componentCount));
      }
      case 'jpeg-ls': {
        const out = await decodeJpegLs(frame);
        return fromCodec(pm, out, out.info.componentCount === 1 ? decodedColour(pm, 1) : pm.photometric);
      }
      case 'jpeg2000': {
        const out = await decodeJpeg2000(frame);
        return fromCodec(pm, out, decodedColour(pm, out.info.componentCount));
      }
      default:
        throw new UnsupportedPixelsError(`Frames in ${transferSyntaxUid} cannot be decoded here`);
    }
  } catch (err) {
    if (err instanceof UnsupportedPixelsError || err instanceof CorruptPixelsError) throw err;
    // Codecs throw strings, numbers or their own errors on a damaged or unusual bitstream.
    const message = err instanceof Error ? err.message : String(err);
    throw new CorruptPixelsError(`The frame could not be decoded (${message.slice(0, 120)})`);
  }
}

/** The sample precision in a JPEG's frame header (SOFn), 8 when none is found. */
function jpegPrecision(frame: Uint8Array): number {
  for (let i = 2; i + 4 < frame.length; ) {
    if (frame[i] !== 0xff) return 8;
    const marker = frame[i + 1]!;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return frame[i + 4]!;
    if (marker === 0xda) return 8;
    i += 2 + ((frame[i + 2]! << 8) | frame[i + 3]!);
  }
  return 8;
}

function decodeTwelveBit(frame: Uint8Array, pm: PixelModule, base: Omit<DecodedFrame, 'data'>): DecodedFrame {
  let image;
  try {
    image = decodeJpegExtended(frame);
  } catch (err) {
    if (err instanceof JpegDecodeError) throw new CorruptPixelsError(`The frame could not be decoded (${err.message})`);
    throw err;
  }
  if (image.width !== pm.columns || image.height !== pm.rows) throw new CorruptPixelsError(`The frame is ${image.width}×${image.height}, the instance says ${pm.columns}×${pm.rows}`);
  const data = new Uint8Array(image.samples.buffer, image.samples.byteOffset, image.samples.byteLength);
  return { ...base, samplesPerPixel: image.components, bitsAllocated: 16, bitsStored: Math.min(pm.bitsStored, 16), photometric: decodedColour(pm, image.components), planarConfiguration: 0, data };
}

interface LosslessDecoder {
  decode(buffer: ArrayBuffer, offset: number, length: number, bytesPerSample: number): Uint8Array | Uint16Array;
}
let losslessCtor: (new () => LosslessDecoder) | undefined;

function decodeJpegLossless(frame: Uint8Array, pm: PixelModule, base: Omit<DecodedFrame, 'data'>): DecodedFrame {
  losslessCtor ??= (require('@cornerstonejs/jpeg-lossless-decoder-js/release/cjs/lossless.cjs') as { Decoder: new () => LosslessDecoder }).Decoder;
  const bytesPerSample = pm.bitsAllocated <= 8 ? 1 : 2;
  // The decoder reads from the ArrayBuffer: hand it one that holds this frame alone.
  const copy = new Uint8Array(frame);
  const out = new losslessCtor().decode(copy.buffer, 0, copy.length, bytesPerSample);
  const data = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  const expected = pm.rows * pm.columns * pm.samplesPerPixel * bytesPerSample;
  if (data.length < expected) throw new CorruptPixelsError('The frame decoded to fewer pixels than the image has');
  return { ...base, bitsAllocated: bytesPerSample * 8, planarConfiguration: 0, data: data.subarray(0, expected) };
}
