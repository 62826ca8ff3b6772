import type { DecodedFrame } from './decode.js';
import type { LutDescriptor, PixelModule } from './pixel-module.js';

/** PS3.18 8.3.5.1 rendering parameters, already validated. */
export interface RenderOptions {
  /** VOI window (center, width) and function; the image's own, or its range, when absent. */
  window?: { center: number; width: number; fn: 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID' };
}

export interface RenderedImage {
  width: number;
  height: number;
  components: 1 | 3;
  /** 8-bit grey or interleaved RGB. */
  pixels: Uint8Array;
}

/** The stored values of one sample plane, as numbers (no copy for the common layouts). */
function samples(frame: DecodedFrame): ArrayLike<number> {
  const { data, bitsAllocated, signed } = frame;
  // A copy when unaligned (Buffer.prototype.slice would not copy).
  const buf = data.byteOffset % 4 === 0 ? data : new Uint8Array(data);
  if (bitsAllocated === 8) return signed ? new Int8Array(buf.buffer, buf.byteOffset, buf.length) : buf;
  if (bitsAllocated === 16) return signed ? new Int16Array(buf.buffer, buf.byteOffset, buf.length >> 1) : new Uint16Array(buf.buffer, buf.byteOffset, buf.length >> 1);
  if (bitsAllocated === 32) return signed ? new Int32Array(buf.buffer, buf.byteOffset, buf.length >> 2) : new Uint32Array(buf.buffer, buf.byteOffset, buf.length >> 2);
  throw new RangeError(`${bitsAllocated} bits allocated cannot be rendered`);
}

/** Values masked to BitsStored and sign-extended (PS3.5 8.1.1: bits above HighBit are not pixel data). */
function storedValue(bitsStored: number, bitsAllocated: number, signed: boolean): (v: number) => number {
  if (bitsStored >= bitsAllocated) return (v) => v;
  const mask = 2 ** bitsStored - 1;
  const signBit = 2 ** (bitsStored - 1);
  // Bitwise operators work on 32 bits: fine, BitsStored < BitsAllocated ≤ 32 here.
  return signed ? (v) => ((v & mask) ^ signBit) - signBit : (v) => (v & mask) >>> 0;
}

function renderGrey(frame: DecodedFrame, pm: PixelModule, options: RenderOptions): Uint8Array {
  const values = samples(frame);
  const n = frame.rows * frame.columns;
  const stored = storedValue(frame.bitsStored, frame.bitsAllocated, frame.signed);
  const slope = pm.rescaleSlope;
  const intercept = pm.rescaleIntercept;
  let window = options.window;
  if (!window && pm.windowCenter !== undefined && pm.windowWidth !== undefined && pm.windowWidth >= 1) {
    window = { center: pm.windowCenter, width: pm.windowWidth, fn: pm.voiLutFunction };
  }
  if (!window) {
    // No window given or stored: the frame's own range, so nothing is clipped.
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = stored(values[i]!) * slope + intercept;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (!Number.isFinite(min)) min = max = 0;
    window = { center: (max + min) / 2 + (max === min ? 0 : 0.5), width: Math.max(1, max - min + 1), fn: 'LINEAR' };
  }
  const out = new Uint8Array(n);
  const invert = frame.photometric === 'MONOCHROME1';
  const voi = voiFunction(window.center, window.width, window.fn);
  for (let i = 0; i < n; i++) {
    const v = voi(stored(values[i]!) * slope + intercept);
    out[i] = invert ? 255 - v : v;
  }
  return out;
}

/** PS3.3 C.11.2.1.2: the VOI function onto 0–255. */
export function voiFunction(center: number, width: number, fn: 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID'): (x: number) => number {
  if (fn === 'LINEAR_EXACT') {
    const lo = center - width / 2;
    const hi = center + width / 2;
    return (x) => (x <= lo ? 0 : x > hi ? 255 : Math.round(((x - center) / width + 0.5) * 255));
  }
  if (fn === 'SIGMOID') return (x) => Math.round(255 / (1 + Math.exp((-4 * (x - center)) / width)));
  const w = Math.max(1, width);
  const lo = center - 0.5 - (w - 1) / 2;
  const hi = center - 0.5 + (w - 1) / 2;
  return (x) => (x <= lo ? 0 : x > hi ? 255 : Math.round(((x - (center - 0.5)) / (w - 1) + 0.5) * 255));
}

function lutLookup(descriptor: LutDescriptor, data: Uint16Array): (v: number) => number {
  const last = Math.min(descriptor.entries, data.length) - 1;
  // Tables declared 8 bits wide hold their values in 16-bit words; 16-bit ones are scaled down.
  const shift = descriptor.bits > 8 || data.some((w) => w > 255) ? 8 : 0;
  return (v) => {
    const i = v - descriptor.firstMapped;
    return data[i < 0 ? 0 : i > last ? last : i]! >> shift;
  };
}

function ybrToRgb(y: number, cb: number, cr: number, rgb: Uint8Array, o: number): void {
  // PS3.3 C.7.6.3.1.2 (YBR_FULL), inverted.
  const r = y + 1.402 * (cr - 128);
  const g = y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128);
  const b = y + 1.772 * (cb - 128);
  rgb[o] = r < 0 ? 0 : r > 255 ? 255 : Math.round(r);
  rgb[o + 1] = g < 0 ? 0 : g > 255 ? 255 : Math.round(g);
  rgb[o + 2] = b < 0 ? 0 : b > 255 ? 255 : Math.round(b);
}

function renderColour(frame: DecodedFrame, pm: PixelModule): Uint8Array {
  const n = frame.rows * frame.columns;
  const out = new Uint8Array(n * 3);
  const values = samples(frame);
  const stored = storedValue(frame.bitsStored, frame.bitsAllocated, frame.signed);
  if (frame.photometric === 'PALETTE COLOR') {
    const palette = pm.palette;
    if (!palette) throw new RangeError('A PALETTE COLOR image without its lookup tables');
    const [r, g, b] = [palette.red, palette.green, palette.blue].map((t) => lutLookup(t.descriptor, t.data)) as [(v: number) => number, (v: number) => number, (v: number) => number];
    for (let i = 0; i < n; i++) {
      const v = stored(values[i]!);
      out[i * 3] = r(v);
      out[i * 3 + 1] = g(v);
      out[i * 3 + 2] = b(v);
    }
    return out;
  }
  // Samples above 8 bits are scaled to 8 for display.
  const down = Math.max(0, frame.bitsStored - 8);
  const scale = 2 ** down;
  const at = frame.planarConfiguration === 1 ? (i: number, s: number) => Math.floor(stored(values[s * n + i]!) / scale) : (i: number, s: number) => Math.floor(stored(values[i * 3 + s]!) / scale);
  if (frame.photometric === 'YBR_FULL_422' || frame.photometric === 'YBR_PARTIAL_422') {
    // Two pixels share one Cb and one Cr: Y1 Y2 Cb Cr.
    for (let i = 0; i < n; i++) {
      const pair = i >> 1;
      ybrToRgb(values[pair * 4 + (i & 1)]!, values[pair * 4 + 2]!, values[pair * 4 + 3]!, out, i * 3);
    }
    return out;
  }
  if (frame.photometric === 'YBR_FULL' || frame.photometric === 'YBR_PARTIAL_420') {
    for (let i = 0; i < n; i++) ybrToRgb(at(i, 0), at(i, 1), at(i, 2), out, i * 3);
    return out;
  }
  for (let i = 0; i < n; i++) {
    out[i * 3] = at(i, 0);
    out[i * 3 + 1] = at(i, 1);
    out[i * 3 + 2] = at(i, 2);
  }
  return out;
}

/** A decoded frame as 8-bit grey or RGB, windowed as asked. */
export function renderFrame(frame: DecodedFrame, pm: PixelModule, options: RenderOptions = {}): RenderedImage {
  const colour = frame.samplesPerPixel === 3 || frame.photometric === 'PALETTE COLOR';
  return colour
    ? { width: frame.columns, height: frame.rows, components: 3, pixels: renderColour(frame, pm) }
    : { width: frame.columns, height: frame.rows, components: 1, pixels: renderGrey(frame, pm, options) };
}
