/** Transfer syntaxes this library knows how to index (PS3.5 Section 10 and Annex A). */
export const TransferSyntax = {
  ImplicitVRLittleEndian: '1.2.840.10008.1.2',
  ExplicitVRLittleEndian: '1.2.840.10008.1.2.1',
  EncapsulatedUncompressedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.98',
  DeflatedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.99',
  ExplicitVRBigEndian: '1.2.840.10008.1.2.2',
  JPEGBaseline8Bit: '1.2.840.10008.1.2.4.50',
  JPEGExtended12Bit: '1.2.840.10008.1.2.4.51',
  JPEGLossless: '1.2.840.10008.1.2.4.57',
  JPEGLosslessSV1: '1.2.840.10008.1.2.4.70',
  JPEGLSLossless: '1.2.840.10008.1.2.4.80',
  JPEGLSNearLossless: '1.2.840.10008.1.2.4.81',
  JPEG2000Lossless: '1.2.840.10008.1.2.4.90',
  JPEG2000: '1.2.840.10008.1.2.4.91',
  RLELossless: '1.2.840.10008.1.2.5',
} as const;

export type PixelCodec = 'native' | 'jpeg' | 'jpeg-ls' | 'jpeg2000' | 'htj2k' | 'rle' | 'video' | 'encapsulated';

export interface TransferSyntaxInfo {
  explicitVr: boolean;
  littleEndian: boolean;
  deflated: boolean;
  /** Pixel data is a sequence of fragments rather than one native value. */
  encapsulated: boolean;
  codec: PixelCodec;
}

const native = (explicitVr: boolean, littleEndian: boolean, deflated = false): TransferSyntaxInfo => ({
  explicitVr,
  littleEndian,
  deflated,
  encapsulated: false,
  codec: 'native',
});
const encapsulated = (codec: PixelCodec): TransferSyntaxInfo => ({
  explicitVr: true,
  littleEndian: true,
  deflated: false,
  encapsulated: true,
  codec,
});

const known: Record<string, TransferSyntaxInfo> = {
  '1.2.840.10008.1.2': native(false, true),
  '1.2.840.10008.1.2.1': native(true, true),
  '1.2.840.10008.1.2.1.99': native(true, true, true),
  '1.2.840.10008.1.2.2': native(true, false),
  '1.2.840.10008.1.2.1.98': encapsulated('encapsulated'),
  '1.2.840.10008.1.2.5': encapsulated('rle'),
  '1.2.840.10008.1.2.4.80': encapsulated('jpeg-ls'),
  '1.2.840.10008.1.2.4.81': encapsulated('jpeg-ls'),
  '1.2.840.10008.1.2.4.90': encapsulated('jpeg2000'),
  '1.2.840.10008.1.2.4.91': encapsulated('jpeg2000'),
  '1.2.840.10008.1.2.4.92': encapsulated('jpeg2000'),
  '1.2.840.10008.1.2.4.93': encapsulated('jpeg2000'),
  '1.2.840.10008.1.2.4.201': encapsulated('htj2k'),
  '1.2.840.10008.1.2.4.202': encapsulated('htj2k'),
  '1.2.840.10008.1.2.4.203': encapsulated('htj2k'),
};
// JPEG processes 1–14 (.50–.57, .70 and retired ones in between).
for (let i = 50; i <= 70; i++) known[`1.2.840.10008.1.2.4.${i}`] = encapsulated('jpeg');
// MPEG-2, MPEG-4 AVC/H.264, HEVC/H.265: one compressed stream for all frames.
for (const s of ['100', '100.1', '101', '101.1', '102', '102.1', '103', '103.1', '104', '104.1', '105', '105.1', '106', '106.1', '107', '108']) {
  known[`1.2.840.10008.1.2.4.${s}`] = encapsulated('video');
}

/**
 * Properties of a transfer syntax, or undefined when it is unknown (a private one): its
 * encoding cannot be trusted, so the caller rejects the instance.
 */
export function transferSyntaxInfo(uid: string): TransferSyntaxInfo | undefined {
  return known[uid];
}
