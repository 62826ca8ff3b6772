import { TextDecoder } from 'node:util';

/**
 * Text decoding per SpecificCharacterSet (0008,0005), PS3.5 Section 6.1 and PS3.3 C.12.1.1.2.
 * Only SH, LO, ST, LT, UC, UT and PN are affected; every other string VR is ASCII.
 */

/** VRs whose values are encoded with SpecificCharacterSet. */
export const CHARSET_VRS: ReadonlySet<string> = new Set(['SH', 'LO', 'ST', 'LT', 'UC', 'UT', 'PN']);

type Decoder = (bytes: Uint8Array) => string;

const decoders = new Map<string, TextDecoder>();
function textDecoder(label: string): TextDecoder {
  let decoder = decoders.get(label);
  if (!decoder) {
    decoder = new TextDecoder(label);
    decoders.set(label, decoder);
  }
  return decoder;
}

// WHATWG maps "latin1" to windows-1252; DICOM means real ISO 8859-1, which Buffer decodes.
const latin1: Decoder = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
const withLabel =
  (label: string): Decoder =>
  (bytes) =>
    textDecoder(label).decode(bytes);

/** Single-code-page terms (no code extensions). */
const singleByteTerms: Record<string, Decoder> = {
  '': latin1,
  ISO_IR_6: latin1,
  'ISO_IR 6': latin1,
  'ISO_IR 100': latin1,
  'ISO_IR 101': withLabel('iso-8859-2'),
  'ISO_IR 109': withLabel('iso-8859-3'),
  'ISO_IR 110': withLabel('iso-8859-4'),
  'ISO_IR 144': withLabel('iso-8859-5'),
  'ISO_IR 127': withLabel('iso-8859-6'),
  'ISO_IR 126': withLabel('iso-8859-7'),
  'ISO_IR 138': withLabel('iso-8859-8'),
  'ISO_IR 148': withLabel('iso-8859-9'),
  'ISO_IR 203': withLabel('iso-8859-15'),
  'ISO_IR 166': withLabel('windows-874'),
  'ISO_IR 13': withLabel('shift_jis'),
  'ISO_IR 192': withLabel('utf-8'),
  GB18030: withLabel('gb18030'),
  GBK: withLabel('gbk'),
};

/** A graphic set that an ISO 2022 escape sequence designates to G0 (bytes < 0x80) or G1 (≥ 0x80). */
interface GraphicSet {
  /** Decodes a run of bytes of this set (already stripped of escapes). */
  decode: Decoder;
  /** 2 for the multi-byte Japanese, Korean and Chinese sets. */
  bytesPerChar: 1 | 2;
}

const ascii: GraphicSet = { decode: latin1, bytesPerChar: 1 };
const jisRoman: GraphicSet = { decode: latin1, bytesPerChar: 1 };
const single = (label: string): GraphicSet => ({ decode: withLabel(label), bytesPerChar: 1 });
const setHighBit = (bytes: Uint8Array): Uint8Array => bytes.map((b) => b | 0x80);
// JIS X 0208 and 0212 travel as 7-bit pairs; with the high bit set they are EUC-JP.
const jisX0208: GraphicSet = { decode: (b) => textDecoder('euc-jp').decode(setHighBit(b)), bytesPerChar: 2 };
const jisX0212: GraphicSet = {
  decode: (b) => {
    const out = new Uint8Array((b.length / 2) * 3);
    for (let i = 0, j = 0; i + 1 < b.length; i += 2, j += 3) {
      out[j] = 0x8f;
      out[j + 1] = (b[i] ?? 0) | 0x80;
      out[j + 2] = (b[i + 1] ?? 0) | 0x80;
    }
    return textDecoder('euc-jp').decode(out);
  },
  bytesPerChar: 2,
};
// Half-width katakana sits at 0xA1–0xDF, exactly where Shift_JIS has it.
const jisKatakana: GraphicSet = single('shift_jis');
const ksX1001: GraphicSet = { decode: (b) => textDecoder('euc-kr').decode(setHighBit(b)), bytesPerChar: 2 };
const gb2312: GraphicSet = { decode: (b) => textDecoder('gbk').decode(setHighBit(b)), bytesPerChar: 2 };

/** Escape sequence (bytes after ESC, as latin1) → which register it loads and with what. */
const escapes: Record<string, { g: 0 | 1; set: GraphicSet }> = {
  '(B': { g: 0, set: ascii },
  '(J': { g: 0, set: jisRoman },
  ')I': { g: 1, set: jisKatakana },
  $B: { g: 0, set: jisX0208 },
  '$@': { g: 0, set: jisX0208 },
  '$(D': { g: 0, set: jisX0212 },
  '$)C': { g: 1, set: ksX1001 },
  '$)A': { g: 1, set: gb2312 },
  '-A': { g: 1, set: single('iso-8859-1') },
  '-B': { g: 1, set: single('iso-8859-2') },
  '-C': { g: 1, set: single('iso-8859-3') },
  '-D': { g: 1, set: single('iso-8859-4') },
  '-L': { g: 1, set: single('iso-8859-5') },
  '-G': { g: 1, set: single('iso-8859-6') },
  '-F': { g: 1, set: single('iso-8859-7') },
  '-H': { g: 1, set: single('iso-8859-8') },
  '-M': { g: 1, set: single('iso-8859-9') },
  '-b': { g: 1, set: single('iso-8859-15') },
  '-T': { g: 1, set: single('windows-874') },
};
const escapeKeys = Object.keys(escapes).sort((a, b) => b.length - a.length);

/** Initial G0/G1 designated by each ISO 2022 defined term (PS3.3 Table C.12-3/C.12-4). */
const iso2022Terms: Record<string, { g0?: GraphicSet; g1?: GraphicSet }> = {
  'ISO 2022 IR 6': { g0: ascii },
  'ISO 2022 IR 100': { g1: single('iso-8859-1') },
  'ISO 2022 IR 101': { g1: single('iso-8859-2') },
  'ISO 2022 IR 109': { g1: single('iso-8859-3') },
  'ISO 2022 IR 110': { g1: single('iso-8859-4') },
  'ISO 2022 IR 144': { g1: single('iso-8859-5') },
  'ISO 2022 IR 127': { g1: single('iso-8859-6') },
  'ISO 2022 IR 126': { g1: single('iso-8859-7') },
  'ISO 2022 IR 138': { g1: single('iso-8859-8') },
  'ISO 2022 IR 148': { g1: single('iso-8859-9') },
  'ISO 2022 IR 203': { g1: single('iso-8859-15') },
  'ISO 2022 IR 166': { g1: single('windows-874') },
  'ISO 2022 IR 13': { g0: jisRoman, g1: jisKatakana },
  'ISO 2022 IR 87': { g0: jisX0208 },
  'ISO 2022 IR 159': { g0: jisX0212 },
  'ISO 2022 IR 149': { g1: ksX1001 },
  'ISO 2022 IR 58': { g1: gb2312 },
};

const ESC = 0x1b;
/** Bytes at which the standard says the initial designations come back (PS3.5 6.1.2.5.3). */
const isDelimiter = (b: number, isPn: boolean): boolean =>
  b === 0x0a || b === 0x0c || b === 0x0d || b === 0x09 || b === 0x5c || (isPn && (b === 0x5e || b === 0x3d));

/**
 * A decoder for one data set's SpecificCharacterSet value (the raw, backslash-separated string,
 * or undefined when absent). Unknown terms fall back to ISO 8859-1 so that a text is never lost.
 */
export class CharsetDecoder {
  private readonly simple: Decoder | undefined;
  private readonly initial: { g0: GraphicSet; g1: GraphicSet };

  constructor(specificCharacterSet: string | undefined) {
    const terms = (specificCharacterSet ?? '').split('\\').map((t) => t.trim());
    const first = terms[0] ?? '';
    const usesCodeExtensions = terms.length > 1 || first.startsWith('ISO 2022');
    this.initial = { g0: ascii, g1: single('iso-8859-1') };
    if (!usesCodeExtensions) {
      this.simple = singleByteTerms[first] ?? singleByteTerms[first.replace(/-/g, '_')] ?? latin1;
      return;
    }
    const firstTerm = iso2022Terms[first];
    if (firstTerm?.g0) this.initial.g0 = firstTerm.g0;
    if (firstTerm?.g1) this.initial.g1 = firstTerm.g1;
    // With code extensions and no G1 in value 1, the first G1 set listed is the natural default
    // for high bytes that arrive without an escape (seen in Korean data).
    if (!firstTerm?.g1) {
      for (const term of terms.slice(1)) {
        const g1 = iso2022Terms[term]?.g1;
        if (g1) {
          this.initial.g1 = g1;
          break;
        }
      }
    }
  }

  /** Decodes a whole value (all of its backslash-separated values) of a text VR. */
  decode(bytes: Uint8Array, vr = 'LO'): string {
    if (this.simple) return this.simple(bytes);
    return this.decodeIso2022(bytes, vr === 'PN');
  }

  private decodeIso2022(bytes: Uint8Array, isPn: boolean): string {
    let g0 = this.initial.g0;
    let g1 = this.initial.g1;
    let out = '';
    let runStart = 0;
    let runSet: GraphicSet | undefined;
    const flush = (end: number): void => {
      if (runSet && end > runStart) out += runSet.decode(bytes.subarray(runStart, end));
      runSet = undefined;
    };
    let i = 0;
    while (i < bytes.length) {
      const b = bytes[i] ?? 0;
      if (b === ESC) {
        flush(i);
        const tail = String.fromCharCode(...bytes.subarray(i + 1, i + 4));
        const key = escapeKeys.find((k) => tail.startsWith(k));
        if (key) {
          const designation = escapes[key];
          if (designation?.g === 0) g0 = designation.set;
          else if (designation) g1 = designation.set;
          i += 1 + key.length;
        } else {
          i += 1; // an unknown escape is dropped rather than shown as a control character
        }
        runStart = i;
        continue;
      }
      const set = b < 0x80 ? g0 : g1;
      if (set.bytesPerChar === 1 && b < 0x80 && isDelimiter(b, isPn)) {
        flush(i);
        out += String.fromCharCode(b);
        g0 = this.initial.g0;
        g1 = this.initial.g1;
        i += 1;
        runStart = i;
        continue;
      }
      if (set !== runSet) {
        flush(i);
        runSet = set;
        runStart = i;
      }
      i += set.bytesPerChar;
    }
    flush(Math.min(i, bytes.length));
    return out;
  }
}

/** DICOM JSON PN object: one entry per non-empty component group (PS3.18 F.2.2). */
export interface PersonNameJson {
  Alphabetic?: string;
  Ideographic?: string;
  Phonetic?: string;
}

/** Splits one decoded PN value into its alphabetic, ideographic and phonetic groups. */
export function personNameGroups(value: string): PersonNameJson {
  const [alphabetic, ideographic, phonetic] = value.split('=');
  const result: PersonNameJson = {};
  if (alphabetic) result.Alphabetic = alphabetic;
  if (ideographic) result.Ideographic = ideographic;
  if (phonetic) result.Phonetic = phonetic;
  return result;
}
