/**
 * A JPEG whose DICOM Photometric Interpretation is RGB holds RGB components: no colour transform
 * was applied (PS3.5 8.2.1). libjpeg guesses from the stream instead (a JFIF marker or component
 * ids 1, 2, 3 mean YCbCr) and would convert. This returns a copy of the stream that libjpeg reads
 * as RGB: component ids R, G, B in SOF and SOS, an Adobe marker's transform set to 0 and a JFIF
 * marker's identifier blanked. The entropy-coded data is not touched.
 */
export function markJpegAsRgb(stream: Uint8Array): Uint8Array {
  const out = new Uint8Array(stream);
  const ids = new Map<number, number>();
  const rgb = [0x52, 0x47, 0x42];
  let i = 2;
  while (i + 4 <= out.length && out[i] === 0xff) {
    const marker = out[i + 1]!;
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01 || marker === 0xff) {
      i += marker === 0xff ? 1 : 2;
      continue;
    }
    const length = (out[i + 2]! << 8) | out[i + 3]!;
    const body = i + 4;
    if (marker === 0xe0 && out[body] === 0x4a && out[body + 1] === 0x46 && out[body + 2] === 0x49 && out[body + 3] === 0x46) out[body] = 0x58; // "JFIF" → "XFIF"
    if (marker === 0xee && out[body] === 0x41 && out[body + 1] === 0x64 && length >= 14) out[body + 11] = 0; // Adobe: transform 0
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const components = out[body + 5]!;
      for (let c = 0; c < components && c < 3; c++) {
        ids.set(out[body + 6 + c * 3]!, rgb[c]!);
        out[body + 6 + c * 3] = rgb[c]!;
      }
    }
    if (marker === 0xda) {
      const components = out[body]!;
      for (let c = 0; c < components; c++) {
        const at = body + 1 + c * 2;
        out[at] = ids.get(out[at]!) ?? out[at]!;
      }
      // Entropy-coded data follows; later SOS segments (progressive) are not rewritten.
      break;
    }
    i += 2 + length;
  }
  return out;
}
