/**
 * Uncompressed frames need no codec: "decoding" one is a typed-array view on its bytes plus a
 * min/max scan. The wado-image-loader still sends them to its web workers, whose 200 kB script
 * each worker must download and compile first; on a cold first load of a CT that start-up cost
 * more CPU than the whole series' decoding, on a device that has two cores for the browser's
 * renderer, its workers and its network. So those frames are decoded here, on the main thread,
 * with the loader's own worker algorithm (shared/decodeImageFrame.js, decoders/decodeLittleEndian,
 * decodeBigEndian, calculateMinMax of cornerstone-wado-image-loader 4.13), and the workers start
 * only for a study that has compressed images (ADR 0083).
 */

/** Transfer syntaxes whose frames arrive as raw pixels (deflate is inflated by the server). */
export const UNCOMPRESSED_TRANSFER_SYNTAXES: ReadonlySet<string> = new Set([
  '1.2.840.10008.1.2', // Implicit VR Little Endian
  '1.2.840.10008.1.2.1', // Explicit VR Little Endian
  '1.2.840.10008.1.2.1.99', // Deflated Explicit VR Little Endian
  '1.2.840.10008.1.2.2', // Explicit VR Big Endian (retired)
]);

const BIG_ENDIAN = '1.2.840.10008.1.2.2';

/** The frame description the loader builds from the metadata (getImageFrame) and the worker fills. */
export interface ImageFrame {
  bitsAllocated: number;
  bitsStored?: number;
  pixelRepresentation?: number;
  smallestPixelValue?: number;
  largestPixelValue?: number;
  pixelData?: Uint8Array | Uint16Array | Int16Array | Float32Array | ArrayBuffer;
  pixelDataLength?: number;
  decodeTimeInMS?: number;
  [key: string]: unknown;
}

/** What the loader's createImage hands to `webWorkerManager.addTask('decodeTask', …)`. */
export interface DecodeTaskData {
  imageFrame: ImageFrame;
  transferSyntax: string;
  pixelData: Uint8Array;
  options?: { preScale?: { enabled?: boolean }; targetBuffer?: unknown };
}

/**
 * True when this task can be decoded here with the same result as in a worker: an uncompressed
 * frame, without the loader's pre-scaling or target-buffer options (the viewer uses neither).
 */
export function decodesOnMainThread(data: DecodeTaskData): boolean {
  return (
    UNCOMPRESSED_TRANSFER_SYNTAXES.has(data.transferSyntax) &&
    !data.options?.preScale?.enabled &&
    data.options?.targetBuffer === undefined &&
    [1, 8, 16, 32].includes(data.imageFrame.bitsAllocated)
  );
}

function typedPixels(frame: ImageFrame, bytes: Uint8Array, bigEndian: boolean): Uint8Array | Uint16Array | Int16Array | Float32Array {
  // `bytes` is a whole buffer (offset 0), as the worker's is: no alignment to fix.
  if (frame.bitsAllocated === 16) {
    const words = frame.pixelRepresentation === 0 ? new Uint16Array(bytes.buffer, 0, bytes.length / 2) : new Int16Array(bytes.buffer, 0, bytes.length / 2);
    if (bigEndian) for (let i = 0; i < words.length; i++) words[i] = (((words[i] as number) & 0xff) << 8) | (((words[i] as number) >> 8) & 0xff);
    return words;
  }
  if (frame.bitsAllocated === 32 && !bigEndian) return new Float32Array(bytes.buffer, 0, bytes.length / 4);
  if (frame.bitsAllocated === 32) throw new Error('32-bit big endian pixel data is not supported');
  return bytes;
}

/**
 * The bytes to decode: `pixelData` itself when the caller hands it over (`inPlace`) and it is a
 * whole buffer, as a single-part frame answer is; otherwise a copy of its own, as the worker gets
 * (the pixels of a multipart answer sit inside it, at any offset). A copy is not free: filling a
 * 512 kB buffer of fresh memory took 1.7 ms on session 6's machine, for its pages' first touch,
 * against microseconds for memory reused (`node bench/frame-bytes.mjs`, ADR 0086).
 */
function ownBytes(pixelData: Uint8Array, inPlace: boolean): Uint8Array {
  if (inPlace && pixelData.byteOffset === 0 && pixelData.byteLength === pixelData.buffer.byteLength) return pixelData;
  const bytes = new Uint8Array(pixelData.length);
  bytes.set(pixelData);
  return bytes;
}

/**
 * Decodes one uncompressed frame as the loader's worker does, and resolves with the frame the
 * worker would post back (pixel data as an ArrayBuffer, smallest/largest pixel values set).
 * `inPlace`: the caller gives the bytes up (the loader does: its worker path transfers them), so
 * a whole buffer is decoded where it is; without it, the bytes are left as they came.
 */
export function decodeUncompressedFrame(data: DecodeTaskData, { inPlace = false } = {}): ImageFrame {
  const start = performance.now();
  const frame = data.imageFrame;
  const pixels = typedPixels(frame, ownBytes(data.pixelData, inPlace), data.transferSyntax === BIG_ENDIAN);
  // One pass: sign extension of signed pixels stored on fewer bits than allocated (the worker's
  // postProcess), and the range the worker's calculateMinMax measures.
  const shift = frame.pixelRepresentation === 1 && frame.bitsStored !== undefined ? 32 - frame.bitsStored : undefined;
  if (shift !== undefined && pixels.length > 0) pixels[0] = ((pixels[0] as number) << shift) >> shift;
  let min = pixels[0] ?? 0;
  let max = min;
  if (shift !== undefined) {
    for (let i = 1; i < pixels.length; i++) {
      pixels[i] = ((pixels[i] as number) << shift) >> shift;
      // What the array holds (an 8-bit array wraps negative values), as the worker measures it.
      const v = pixels[i] as number;
      if (v < min) min = v;
      else if (v > max) max = v;
    }
  } else {
    for (let i = 1; i < pixels.length; i++) {
      const v = pixels[i] as number;
      if (v < min) min = v;
      else if (v > max) max = v;
    }
  }
  // The viewer runs the loader with strict: false, where the worker always takes the measured range.
  frame.smallestPixelValue = min;
  frame.largestPixelValue = max;
  frame.pixelDataLength = pixels.length;
  frame.pixelData = pixels.buffer as ArrayBuffer;
  frame.decodeTimeInMS = performance.now() - start;
  return frame;
}
