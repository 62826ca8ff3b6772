/**
 * RLE Lossless (PS3.5 Annex G): a 64-byte header of segment offsets, one PackBits segment per
 * byte plane, most significant byte of each sample first. Decoded to native little endian, with
 * the samples interleaved (PlanarConfiguration 0) or one plane after another (1).
 */
export function decodeRle(frame: Uint8Array, rows: number, columns: number, samplesPerPixel: number, bitsAllocated: number, planar: 0 | 1): Uint8Array {
  if (bitsAllocated % 8 !== 0) throw new RangeError(`RLE with ${bitsAllocated} bits allocated is not supported`);
  if (frame.length < 64) throw new RangeError('RLE frame shorter than its header');
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  const bytesPerSample = bitsAllocated / 8;
  if (segments !== samplesPerPixel * bytesPerSample) throw new RangeError(`RLE frame has ${segments} segments, expected ${samplesPerPixel * bytesPerSample}`);
  const pixels = rows * columns;
  const out = new Uint8Array(pixels * samplesPerPixel * bytesPerSample);
  for (let s = 0; s < segments; s++) {
    const start = view.getUint32(4 + s * 4, true);
    const end = s + 1 < segments ? view.getUint32(8 + s * 4, true) : frame.length;
    if (start < 64 || end > frame.length || start > end) throw new RangeError('RLE segment offsets out of the frame');
    const sample = Math.floor(s / bytesPerSample);
    // Segments go from the most significant byte down; little endian puts it last.
    const byteInSample = bytesPerSample - 1 - (s % bytesPerSample);
    const stride = planar === 0 ? samplesPerPixel * bytesPerSample : bytesPerSample;
    let o = planar === 0 ? sample * bytesPerSample + byteInSample : sample * pixels * bytesPerSample + byteInSample;
    const limit = o + pixels * stride;
    let i = start;
    while (i < end && o < limit) {
      const n = (frame[i++]! << 24) >> 24;
      if (n >= 0) {
        for (let k = 0; k <= n && i < end && o < limit; k++, o += stride) out[o] = frame[i++]!;
      } else if (n !== -128) {
        const value = frame[i++]!;
        for (let k = 0; k <= -n && o < limit; k++, o += stride) out[o] = value;
      }
    }
  }
  return out;
}
