import { describe, expect, it } from 'vitest';
import { decodesOnMainThread, decodeUncompressedFrame, type DecodeTaskData, type ImageFrame } from '../src/cornerstone/main-thread-decode';

const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const BIG_ENDIAN = '1.2.840.10008.1.2.2';

/** A decode task as the loader's createImage builds it: the frame's bytes inside a larger response. */
function task(frame: Partial<ImageFrame>, bytes: number[], transferSyntax = EXPLICIT_LE): DecodeTaskData {
  const response = new Uint8Array([0xaa, ...bytes, 0xbb]); // multipart framing around the pixels
  return {
    imageFrame: { bitsAllocated: 16, pixelRepresentation: 0, ...frame },
    transferSyntax,
    pixelData: new Uint8Array(response.buffer, 1, bytes.length),
    options: { preScale: { enabled: false } },
  };
}

const le16 = (...values: number[]) => values.flatMap((v) => [v & 0xff, (v >> 8) & 0xff]);

describe('decoding uncompressed frames on the main thread', () => {
  it('reads 16-bit little-endian pixels into a buffer of their own and measures their range', () => {
    const frame = decodeUncompressedFrame(task({ bitsStored: 16 }, le16(1000, 3, 65535, 40)));
    expect(Array.from(new Uint16Array(frame.pixelData as ArrayBuffer))).toEqual([1000, 3, 65535, 40]);
    expect([frame.smallestPixelValue, frame.largestPixelValue, frame.pixelDataLength]).toEqual([3, 65535, 4]);
  });

  it('extends the sign of signed pixels stored on 12 of 16 bits, as the worker does', () => {
    // 0x0800 is -2048 on 12 bits, 0x0fff is -1, 0x07ff is 2047.
    const frame = decodeUncompressedFrame(task({ pixelRepresentation: 1, bitsStored: 12 }, le16(0x0800, 0x0fff, 0x07ff, 0)));
    expect(Array.from(new Int16Array(frame.pixelData as ArrayBuffer))).toEqual([-2048, -1, 2047, 0]);
    expect([frame.smallestPixelValue, frame.largestPixelValue]).toEqual([-2048, 2047]);
  });

  it('swaps the bytes of big-endian pixels', () => {
    const frame = decodeUncompressedFrame(task({ bitsStored: 16 }, [0x12, 0x34, 0x00, 0x01], BIG_ENDIAN));
    expect(Array.from(new Uint16Array(frame.pixelData as ArrayBuffer))).toEqual([0x1234, 0x0001]);
    expect([frame.smallestPixelValue, frame.largestPixelValue]).toEqual([1, 0x1234]);
  });

  it('keeps 8-bit pixels as bytes, an 8-bit array wrapping sign-extended values as in the worker', () => {
    const unsigned = decodeUncompressedFrame(task({ bitsAllocated: 8, bitsStored: 8 }, [9, 200, 0, 17]));
    expect(Array.from(new Uint8Array(unsigned.pixelData as ArrayBuffer))).toEqual([9, 200, 0, 17]);
    expect([unsigned.smallestPixelValue, unsigned.largestPixelValue]).toEqual([0, 200]);
    const signed = decodeUncompressedFrame(task({ bitsAllocated: 8, bitsStored: 4, pixelRepresentation: 1 }, [0x0f, 0x07]));
    expect(Array.from(new Uint8Array(signed.pixelData as ArrayBuffer))).toEqual([255, 7]);
    expect([signed.smallestPixelValue, signed.largestPixelValue]).toEqual([7, 255]);
  });

  it('decodes a whole buffer handed over in place, and leaves the bytes as they came otherwise', () => {
    const whole = new Uint8Array([0x12, 0x34, 0x00, 0x01]);
    const handedOver = decodeUncompressedFrame({ imageFrame: { bitsAllocated: 16, pixelRepresentation: 0 }, transferSyntax: BIG_ENDIAN, pixelData: whole }, { inPlace: true });
    expect(handedOver.pixelData).toBe(whole.buffer);
    expect(Array.from(new Uint16Array(whole.buffer))).toEqual([0x1234, 0x0001]);
    // Kept by the caller (the preview's bytes, adopted by Cornerstone next): decoded from a copy.
    const kept = new Uint8Array([0x12, 0x34, 0x00, 0x01]);
    const copied = decodeUncompressedFrame({ imageFrame: { bitsAllocated: 16, pixelRepresentation: 0 }, transferSyntax: BIG_ENDIAN, pixelData: kept });
    expect(Array.from(new Uint16Array(copied.pixelData as ArrayBuffer))).toEqual([0x1234, 0x0001]);
    expect(Array.from(kept)).toEqual([0x12, 0x34, 0x00, 0x01]);
    // Inside a larger (multipart) answer: a copy even when handed over, the answer untouched.
    const inside = task({ bitsStored: 16 }, [0x12, 0x34, 0x00, 0x01], BIG_ENDIAN);
    const decoded = decodeUncompressedFrame(inside, { inPlace: true });
    expect(decoded.pixelData).not.toBe(inside.pixelData.buffer);
    expect(Array.from(inside.pixelData)).toEqual([0x12, 0x34, 0x00, 0x01]);
  });

  it('leaves compressed frames, pre-scaling and target buffers to the workers', () => {
    expect(decodesOnMainThread(task({}, le16(1)))).toBe(true);
    expect(decodesOnMainThread(task({}, le16(1), '1.2.840.10008.1.2.4.90'))).toBe(false);
    expect(decodesOnMainThread(task({}, le16(1), '1.2.840.10008.1.2.5'))).toBe(false);
    expect(decodesOnMainThread({ ...task({}, le16(1)), options: { preScale: { enabled: true } } })).toBe(false);
    expect(decodesOnMainThread({ ...task({}, le16(1)), options: { targetBuffer: { type: 'Uint16Array' } } })).toBe(false);
  });
});
