import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { extractFrame, parsePart10, toDicomJson } from '../src/modules/dicom/index.js';
import { decodeFrame, type DecodedFrame } from '../src/modules/pixels/decode.js';
import { encodeImage } from '../src/modules/pixels/encode-image.js';
import { inlineBinary, pixelModuleOf, type PixelModule } from '../src/modules/pixels/pixel-module.js';
import { renderFrame } from '../src/modules/pixels/render.js';
import { decodeJpegBaseline } from '../src/modules/pixels/wasm-codecs.js';
import { ReferenceDecoder, referenceValues, type ReferenceFrame } from './reference/reference-decoder.js';

/**
 * Every image of the corpus, decoded and rendered by the portal, against pydicom/GDCM's decode
 * of the same frame (issue 18): lossless syntaxes must match exactly, lossy ones within the
 * codec's tolerance. Rendered PNGs are compared pixel for pixel with the reference values put
 * through the same window; rendered JPEGs within JPEG's own loss.
 */
const corpus = path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');
const manifest = fs.readFileSync(path.join(corpus, 'MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1).map((line) => line.split('\t'));
const LOSSY = new Set(['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51', '1.2.840.10008.1.2.4.81', '1.2.840.10008.1.2.4.91']);

const images = manifest
  .filter(([file, , , , , ts, dims]) => file && !file.startsWith('malformed/') && dims !== '-' && ts)
  .map(([file, , , , , ts]) => ({ file: file!, ts: ts! }));

async function load(file: string): Promise<{ pm: PixelModule; frame: Uint8Array; ts: string } | undefined> {
  const bytes = fs.readFileSync(path.join(corpus, 'files', file));
  const parsed = parsePart10(bytes);
  if (!parsed.hasPixelData || parsed.frames.length === 0) return undefined;
  const json = toDicomJson(parsed, { bulkDataUri: () => undefined, inlineBinaryThreshold: 1 << 20 });
  const pm = await pixelModuleOf(json, async (_tag, attribute) => inlineBinary(attribute) ?? Buffer.alloc(0));
  return { pm, frame: extractFrame(bytes, parsed, 0), ts: parsed.transferSyntaxUid };
}

function values(frame: DecodedFrame): number[] {
  const { data, bitsAllocated, signed } = frame;
  const b = Buffer.from(data);
  const out: number[] = [];
  const step = bitsAllocated / 8;
  for (let i = 0; i + step <= b.length; i += step) {
    out.push(step === 1 ? (signed ? b.readInt8(i) : b[i]!) : step === 2 ? (signed ? b.readInt16LE(i) : b.readUInt16LE(i)) : signed ? b.readInt32LE(i) : b.readUInt32LE(i));
  }
  return out;
}

const reference = new ReferenceDecoder();
afterAll(() => reference.close());

describe('decoding and rendering every corpus image like pydicom/GDCM', () => {
  it.each(images)('$file ($ts)', async ({ file, ts }) => {
    const loaded = await load(file);
    const ref = await reference.decode(path.join(corpus, 'files', file), 0);
    if (!loaded) {
      // No pixel data to render: the reference agrees there is nothing to decode.
      expect(ref).toHaveProperty('error');
      return;
    }
    expect(ref, `reference decode of ${file}`).not.toHaveProperty('error');
    const r = ref as ReferenceFrame;
    const decoded = await decodeFrame(loaded.ts, loaded.frame, loaded.pm);
    const rendered = renderFrame(decoded, loaded.pm);
    expect([rendered.width, rendered.height]).toEqual([r.columns, r.rows]);

    const refValues = referenceValues(r);
    if (rendered.components === 1 && decoded.photometric !== 'PALETTE COLOR') {
      // Stored values, exactly for lossless syntaxes.
      const ours = values(decoded);
      const mask = 2 ** decoded.bitsStored - 1;
      const norm = (v: number) => (decoded.bitsStored < decoded.bitsAllocated && !decoded.signed ? v & mask : v);
      let maxDiff = 0;
      for (let i = 0; i < refValues.length; i++) maxDiff = Math.max(maxDiff, Math.abs(norm(ours[i]!) - refValues[i]!));
      const tolerance = LOSSY.has(ts) ? 2 ** Math.max(0, decoded.bitsStored - 8) * 3 : 0;
      expect(maxDiff, 'largest difference of a stored value').toBeLessThanOrEqual(tolerance);
    } else {
      // Colour: the RGB the reference shows (palette applied, YBR converted).
      let maxDiff = 0;
      const rgb = rendered.pixels;
      const refRgb = Array.from(refValues);
      const down = decoded.photometric === 'PALETTE COLOR' ? 0 : 2 ** Math.max(0, decoded.bitsStored - 8);
      for (let i = 0; i < rgb.length && i < refRgb.length; i++) maxDiff = Math.max(maxDiff, Math.abs(rgb[i]! - Math.floor(refRgb[i]! / Math.max(1, down))));
      expect(maxDiff, 'largest difference of an RGB sample').toBeLessThanOrEqual(LOSSY.has(ts) ? 8 : 1);
    }

    // The PNG holds exactly the rendered pixels; the JPEG within JPEG's loss.
    const png = PNG.sync.read(await encodeImage(rendered, 'image/png'));
    expect([png.width, png.height]).toEqual([rendered.width, rendered.height]);
    let pngDiff = 0;
    for (let i = 0; i < rendered.width * rendered.height; i++) {
      for (let k = 0; k < rendered.components; k++) pngDiff = Math.max(pngDiff, Math.abs(png.data[i * 4 + k]! - rendered.pixels[i * rendered.components + k]!));
    }
    expect(pngDiff).toBe(0);
    const jpeg = await decodeJpegBaseline(await encodeImage(rendered, 'image/jpeg', { quality: 95 }));
    expect([jpeg.info.width, jpeg.info.height]).toEqual([rendered.width, rendered.height]);
    let sum = 0;
    for (let i = 0; i < rendered.pixels.length; i++) sum += Math.abs(jpeg.data[i]! - rendered.pixels[i]!);
    expect(sum / rendered.pixels.length, 'mean JPEG error').toBeLessThan(4);
  });
});
