/**
 * Sequential DCT JPEG (ITU-T T.81 processes 1, 2 and 4: baseline and extended, 8 or 12 bits,
 * Huffman coded), decoded to samples. The WebAssembly libjpeg-turbo the viewer ships is built
 * for 8 bits only; DICOM's JPEG Extended (1.2.840.10008.1.2.4.51) mostly carries 12-bit images,
 * which this decoder exists for. Progressive and arithmetic-coded streams are refused.
 */
export interface JpegImage {
  width: number;
  height: number;
  components: number;
  precision: number;
  /** Samples interleaved, one 16-bit word each (no colour conversion). */
  samples: Uint16Array;
}

export class JpegDecodeError extends Error {
  override name = 'JpegDecodeError';
}

const ZIGZAG = [0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63];

interface Huffman {
  /** code length → [first code, first index, count] */
  maxCode: Int32Array;
  valPtr: Int32Array;
  minCode: Int32Array;
  values: Uint8Array;
}

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  blocksPerLine: number;
  blocksPerColumn: number;
  /** Dequantised coefficients are transformed block by block into these samples. */
  pixels: Float32Array;
  pred: number;
  dc?: Huffman;
  ac?: Huffman;
}

function buildHuffman(counts: Uint8Array, values: Uint8Array): Huffman {
  const maxCode = new Int32Array(18).fill(-1);
  const valPtr = new Int32Array(17);
  const minCode = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const n = counts[len - 1]!;
    if (n > 0) {
      valPtr[len] = k;
      minCode[len] = code;
      code += n;
      k += n;
      maxCode[len] = code - 1;
    }
    code <<= 1;
  }
  maxCode[17] = 0x7fffffff;
  return { maxCode, valPtr, minCode, values };
}

// Basis of the 8-point inverse DCT: c(u) cos((2x + 1) u π / 16) / 2.
const IDCT = new Float32Array(64);
for (let x = 0; x < 8; x++) for (let u = 0; u < 8; u++) IDCT[x * 8 + u] = (u === 0 ? Math.SQRT1_2 : 1) * Math.cos(((2 * x + 1) * u * Math.PI) / 16) / 2;

function inverseDct(block: Float32Array, out: Float32Array): void {
  const tmp = new Float32Array(64);
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      let s = 0;
      for (let u = 0; u < 8; u++) s += IDCT[x * 8 + u]! * block[y * 8 + u]!;
      tmp[y * 8 + x] = s;
    }
  }
  for (let x = 0; x < 8; x++) {
    for (let y = 0; y < 8; y++) {
      let s = 0;
      for (let v = 0; v < 8; v++) s += IDCT[y * 8 + v]! * tmp[v * 8 + x]!;
      out[y * 8 + x] = s;
    }
  }
}

export function decodeJpegExtended(data: Uint8Array): JpegImage {
  const quant: Array<Int32Array | undefined> = [];
  const dcTables: Array<Huffman | undefined> = [];
  const acTables: Array<Huffman | undefined> = [];
  let components: Component[] = [];
  let width = 0;
  let height = 0;
  let precision = 8;
  let restartInterval = 0;
  let maxH = 1;
  let maxV = 1;
  let decodedScan = false;
  const u16 = (at: number) => (data[at]! << 8) | data[at + 1]!;
  if (u16(0) !== 0xffd8) throw new JpegDecodeError('Not a JPEG stream (no SOI)');
  let pos = 2;
  while (pos < data.length) {
    if (data[pos] !== 0xff) {
      pos++;
      continue;
    }
    const marker = data[pos + 1]!;
    pos += 2;
    if (marker === 0xd9) break;
    if (marker === 0xff || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      if (marker === 0xff) pos--;
      continue;
    }
    const length = u16(pos);
    const end = pos + length;
    if (end > data.length) throw new JpegDecodeError('A JPEG segment runs past the end of the stream');
    let p = pos + 2;
    switch (marker) {
      case 0xdb:
        while (p < end) {
          const pq = data[p]! >> 4;
          const tq = data[p]! & 15;
          p++;
          const table = new Int32Array(64);
          for (let i = 0; i < 64; i++) {
            table[ZIGZAG[i]!] = pq === 0 ? data[p]! : u16(p);
            p += pq === 0 ? 1 : 2;
          }
          quant[tq] = table;
        }
        break;
      case 0xc4:
        while (p < end) {
          const tc = data[p]! >> 4;
          const th = data[p]! & 15;
          const counts = data.subarray(p + 1, p + 17);
          const total = counts.reduce((a, b) => a + b, 0);
          const table = buildHuffman(counts, data.slice(p + 17, p + 17 + total));
          (tc === 0 ? dcTables : acTables)[th] = table;
          p += 17 + total;
        }
        break;
      case 0xc0:
      case 0xc1: {
        precision = data[p]!;
        height = u16(p + 1);
        width = u16(p + 3);
        const n = data[p + 5]!;
        if (precision !== 8 && precision !== 12) throw new JpegDecodeError(`JPEG precision ${precision} is not sequential DCT`);
        if (width === 0 || height === 0 || n < 1 || n > 4) throw new JpegDecodeError('Invalid JPEG frame header');
        components = [];
        for (let i = 0; i < n; i++) {
          const at = p + 6 + i * 3;
          components.push({ id: data[at]!, h: data[at + 1]! >> 4 || 1, v: data[at + 1]! & 15 || 1, tq: data[at + 2]!, blocksPerLine: 0, blocksPerColumn: 0, pixels: new Float32Array(0), pred: 0 });
        }
        maxH = Math.max(...components.map((c) => c.h));
        maxV = Math.max(...components.map((c) => c.v));
        const mcusX = Math.ceil(width / (8 * maxH));
        const mcusY = Math.ceil(height / (8 * maxV));
        for (const c of components) {
          c.blocksPerLine = mcusX * c.h;
          c.blocksPerColumn = mcusY * c.v;
          c.pixels = new Float32Array(c.blocksPerLine * c.blocksPerColumn * 64);
        }
        break;
      }
      case 0xc2:
      case 0xc3:
      case 0xc5:
      case 0xc6:
      case 0xc7:
      case 0xc9:
      case 0xca:
      case 0xcb:
      case 0xcd:
      case 0xce:
      case 0xcf:
        throw new JpegDecodeError('Only sequential Huffman JPEG is decoded here');
      case 0xdd:
        restartInterval = u16(p);
        break;
      case 0xda: {
        const n = data[p]!;
        const scan: Component[] = [];
        for (let i = 0; i < n; i++) {
          const c = components.find((x) => x.id === data[p + 1 + i * 2]);
          if (!c) throw new JpegDecodeError('A JPEG scan names an unknown component');
          c.dc = dcTables[data[p + 2 + i * 2]! >> 4];
          c.ac = acTables[data[p + 2 + i * 2]! & 15];
          if (!c.dc || !c.ac || !quant[c.tq]) throw new JpegDecodeError('A JPEG scan uses a missing table');
          scan.push(c);
        }
        pos = decodeScan(data, end, scan, quant, restartInterval, width, height, maxH, maxV);
        decodedScan = true;
        continue;
      }
      default:
        break;
    }
    pos = end;
  }
  if (!decodedScan || components.length === 0) throw new JpegDecodeError('The JPEG stream has no image');

  const max = (1 << precision) - 1;
  const shift = 1 << (precision - 1);
  const out = new Uint16Array(width * height * components.length);
  components.forEach((c, ci) => {
    const sx = c.h / maxH;
    const sy = c.v / maxV;
    const lineWidth = c.blocksPerLine * 8;
    for (let y = 0; y < height; y++) {
      const cy = Math.floor(y * sy);
      for (let x = 0; x < width; x++) {
        const v = Math.round(c.pixels[cy * lineWidth + Math.floor(x * sx)]! + shift);
        out[(y * width + x) * components.length + ci] = v < 0 ? 0 : v > max ? max : v;
      }
    }
  });
  return { width, height, components: components.length, precision, samples: out };
}

function decodeScan(data: Uint8Array, start: number, scan: Component[], quant: Array<Int32Array | undefined>, restartInterval: number, width: number, height: number, maxH: number, maxV: number): number {
  let pos = start;
  let bits = 0;
  let count = 0;
  const readBit = (): number => {
    if (count === 0) {
      if (pos >= data.length) throw new JpegDecodeError('The JPEG stream ends inside its data');
      bits = data[pos++]!;
      if (bits === 0xff) {
        const next = data[pos]!;
        if (next === 0) pos++;
        else if (next < 0xd0 || next > 0xd7) throw new JpegDecodeError('A JPEG marker inside the entropy-coded data');
      }
      count = 8;
    }
    count--;
    return (bits >> count) & 1;
  };
  const receive = (n: number): number => {
    let v = 0;
    for (let i = 0; i < n; i++) v = (v << 1) | readBit();
    return v;
  };
  const extend = (v: number, n: number): number => (n === 0 ? 0 : v < 1 << (n - 1) ? v - (1 << n) + 1 : v);
  const decodeHuffman = (t: Huffman): number => {
    let code = readBit();
    let len = 1;
    while (len <= 16 && code > t.maxCode[len]!) {
      code = (code << 1) | readBit();
      len++;
    }
    if (len > 16) throw new JpegDecodeError('A bad Huffman code in the JPEG stream');
    return t.values[t.valPtr[len]! + code - t.minCode[len]!]!;
  };

  const block = new Float32Array(64);
  const spatial = new Float32Array(64);
  const decodeBlock = (c: Component, row: number, col: number): void => {
    const q = quant[c.tq]!;
    block.fill(0);
    const s = decodeHuffman(c.dc!);
    c.pred += extend(receive(s), s);
    block[0] = c.pred * q[0]!;
    for (let k = 1; k < 64; ) {
      const rs = decodeHuffman(c.ac!);
      const r = rs >> 4;
      const size = rs & 15;
      if (size === 0) {
        if (r === 15) {
          k += 16;
          continue;
        }
        break;
      }
      k += r;
      if (k > 63) throw new JpegDecodeError('A JPEG block with more than 64 coefficients');
      const z = ZIGZAG[k]!;
      block[z] = extend(receive(size), size) * q[z]!;
      k++;
    }
    inverseDct(block, spatial);
    const lineWidth = c.blocksPerLine * 8;
    const base = row * 8 * lineWidth + col * 8;
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) c.pixels[base + y * lineWidth + x] = spatial[y * 8 + x]!;
  };

  const single = scan.length === 1;
  const first = scan[0]!;
  const unitsX = single ? Math.ceil((Math.ceil((width * first.h) / maxH)) / 8) : Math.ceil(width / (8 * maxH));
  const unitsY = single ? Math.ceil((Math.ceil((height * first.v) / maxV)) / 8) : Math.ceil(height / (8 * maxV));
  const total = unitsX * unitsY;
  for (let n = 0; n < total; n++) {
    if (restartInterval > 0 && n > 0 && n % restartInterval === 0) {
      // Byte-align, skip the RSTn marker, reset the DC predictors.
      count = 0;
      while (pos + 1 < data.length && !(data[pos] === 0xff && data[pos + 1]! >= 0xd0 && data[pos + 1]! <= 0xd7)) pos++;
      pos += 2;
      for (const c of scan) c.pred = 0;
    }
    const mcuRow = Math.floor(n / unitsX);
    const mcuCol = n % unitsX;
    if (single) decodeBlock(first, mcuRow, mcuCol);
    else for (const c of scan) for (let v = 0; v < c.v; v++) for (let h = 0; h < c.h; h++) decodeBlock(c, mcuRow * c.v + v, mcuCol * c.h + h);
  }
  // Past the entropy-coded data: to the next marker.
  while (pos + 1 < data.length && !(data[pos] === 0xff && data[pos + 1] !== 0 && !(data[pos + 1]! >= 0xd0 && data[pos + 1]! <= 0xd7))) pos++;
  return pos;
}
