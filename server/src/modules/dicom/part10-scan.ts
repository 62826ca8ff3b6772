import type { DataSet } from 'dicom-parser';
import { dictionaryVr, resolveAmbiguousVr } from './dictionary.js';
import type { ByteRange } from './frames.js';
import { TransferSyntax, transferSyntaxInfo } from './transfer-syntax.js';

/**
 * Follows the structure of a PS3.10 file while its bytes stream past (to storage), and keeps
 * only what indexing reads: preamble, file meta, attributes, item headers and the first bytes of
 * each pixel data fragment. Large binary values at the top level (pixel data, bulk data) are
 * skipped: indexing only records where they are. `sparseCopy()` then lays the kept bytes at their
 * offsets in a zero-filled buffer of the file's size: the pages it never writes are never backed
 * by memory (the kernel maps zero pages on demand), so parsePart10 reads the file's structure at
 * its true offsets while the process holds a few kilobytes of a gigabyte instance.
 *
 * The scanner reads elements the way dicom-parser does (same length rules); `checkSparseParse`
 * verifies afterwards that the parser agreed on every skipped range, so a file whose structure
 * the two read differently is never indexed from zeros.
 */
export class Part10Scanner {
  /** Absolute offset of the next byte to interpret. */
  private position = 0;
  /** Bytes received but not interpreted yet (at most an element header and a peek). */
  private pending: Buffer = Buffer.alloc(0);
  private readonly kept: Array<{ offset: number; bytes: Buffer }> = [];
  /** Contiguous kept pieces not gathered into `kept` yet. */
  private run: { offset: number; pieces: Buffer[]; length: number } | undefined;
  private keptBytes = 0;
  private readonly skippedRanges: Array<ByteRange & { fragment: boolean }> = [];
  /** Bytes still to keep, then bytes still to skip, as the current value streams past. */
  private keep = 0;
  private skip = 0;
  private skipAfterKeep = 0;
  private skipIsFragment = false;
  private mode: 'preamble' | 'meta' | 'dataSet' | 'all' | 'ignore' = 'preamble';
  private explicitVr = true;
  private littleEndian = true;
  private readonly stack: Array<{ kind: 'sequence' | 'item' | 'pixel'; firstItem: boolean }> = [];
  private overflowed = false;

  private readonly maxKeptBytes: number;
  private readonly minSkippedBytes: number;

  constructor(options: { maxKeptBytes: number; minSkippedBytes?: number }) {
    this.maxKeptBytes = options.maxKeptBytes;
    // Never below DICOM JSON's inline threshold: shorter binary values are read into the metadata.
    this.minSkippedBytes = Math.max(options.minSkippedBytes ?? MIN_SKIPPED_BYTES, INLINE_BINARY_MAX + 1);
  }

  /** The kept bytes passed the limit: the file cannot be indexed as it streams. */
  get overflow(): boolean {
    return this.overflowed;
  }

  /** The bytes kept so far (what the parsed header will be read from). */
  get heldBytes(): number {
    return this.keptBytes;
  }

  get skipped(): ReadonlyArray<ByteRange & { fragment: boolean }> {
    return this.skippedRanges;
  }

  push(chunk: Buffer): void {
    const buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = Buffer.alloc(0);
    let at = 0;
    while (at < buf.length) {
      const rest = buf.length - at;
      if (this.keep > 0) {
        const n = Math.min(this.keep, rest);
        this.retain(buf.subarray(at, at + n));
        this.keep -= n;
        at += n;
        if (this.keep === 0 && this.skipAfterKeep > 0) {
          this.skip = this.skipAfterKeep;
          this.skipAfterKeep = 0;
        }
        continue;
      }
      if (this.skip > 0) {
        const n = Math.min(this.skip, rest);
        this.recordSkip(n);
        this.skip -= n;
        at += n;
        continue;
      }
      if (this.mode === 'all') {
        this.retain(buf.subarray(at));
        break;
      }
      if (this.mode === 'ignore') {
        this.position += rest;
        break;
      }
      const mode = this.mode;
      const used = this.interpret(buf.subarray(at));
      if (used === 0 && this.mode !== mode) continue;
      if (used === 0) {
        // Too few bytes to decide: kept for the next chunk (an element header at most).
        this.pending = Buffer.from(buf.subarray(at));
        break;
      }
      at += used;
    }
  }

  /**
   * The file as parsePart10 needs it: every kept byte at its offset, zeros elsewhere. Bytes still
   * pending at the end (a truncated header) are kept too.
   */
  sparseCopy(size: number): Buffer {
    return this.sparseCopyInto(Buffer.alloc(size));
  }

  /**
   * The same laid into `target`, whose bytes must all be zero (its length is the file's size),
   * instead of a new buffer; `clearSparse(target)` zeroes again what this wrote, so one buffer
   * serves instance after instance (a new zero-filled one cost 60-70 µs per 512 kB instance).
   */
  sparseCopyInto(target: Buffer): Buffer {
    if (this.pending.length > 0) {
      this.retain(this.pending);
      this.pending = Buffer.alloc(0);
    }
    this.endRun();
    const size = target.length;
    for (const { offset, bytes } of this.kept) if (offset < size) bytes.copy(target, offset, 0, Math.min(bytes.length, size - offset));
    return target;
  }

  /** Zeroes the bytes `sparseCopyInto(target)` wrote: `target` is all zeros again. */
  clearSparse(target: Buffer): void {
    const size = target.length;
    for (const { offset, bytes } of this.kept) if (offset < size) target.fill(0, offset, Math.min(offset + bytes.length, size));
  }

  private retain(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.keptBytes += bytes.length;
    if (this.keptBytes > this.maxKeptBytes) {
      this.overflowed = true;
      this.mode = 'ignore';
      this.keep = 0;
      this.skip = 0;
      this.skipAfterKeep = 0;
    } else {
      // Contiguous small pieces (headers, short values) are gathered into one buffer of up to
      // 64 kB so the list stays short; copied together once the run ends, not each time a piece
      // is added (that copied a run again per element: 25–200 ms for an ECG's 291 kB of short
      // values, ADR 0138).
      const run = this.run;
      if (run && run.offset + run.length === this.position && run.length + bytes.length <= 64 * 1024) {
        run.pieces.push(Buffer.from(bytes));
        run.length += bytes.length;
      } else {
        this.endRun();
        this.run = { offset: this.position, pieces: [Buffer.from(bytes)], length: bytes.length };
      }
    }
    this.position += bytes.length;
  }

  private endRun(): void {
    const run = this.run;
    if (!run) return;
    this.kept.push({ offset: run.offset, bytes: run.pieces.length === 1 ? run.pieces[0]! : Buffer.concat(run.pieces, run.length) });
    this.run = undefined;
  }

  private recordSkip(n: number): void {
    const last = this.skippedRanges[this.skippedRanges.length - 1];
    if (last && last.offset + last.length === this.position) last.length += n;
    else this.skippedRanges.push({ offset: this.position, length: n, fragment: this.skipIsFragment });
    this.position += n;
  }

  /** Interprets what starts `buf`: returns the bytes consumed (kept), 0 when more are needed. */
  private interpret(buf: Buffer): number {
    switch (this.mode) {
      case 'preamble':
        return this.preamble(buf);
      case 'meta':
        return this.metaElement(buf);
      default:
        return this.dataSetElement(buf);
    }
  }

  private preamble(buf: Buffer): number {
    if (buf.length < 132) return 0;
    this.retain(buf.subarray(0, 132));
    // Not PS3.10: parsePart10 refuses it from these bytes alone.
    if (buf.toString('latin1', 128, 132) !== 'DICM') this.mode = 'ignore';
    else this.mode = 'meta';
    return 132;
  }

  private metaTransferSyntax: string | undefined;

  private metaElement(buf: Buffer): number {
    if (buf.length < 8) return 0;
    // dicom-parser's own test: the file meta ends at the first tag past (0002,FFFF).
    if (buf.readUInt16LE(0) > 0x0002) {
      this.startDataSet();
      return this.mode === 'dataSet' ? this.dataSetElement(buf) : 0;
    }
    const vr = buf.toString('latin1', 4, 6);
    const long = LONG_LENGTH_VRS.has(vr);
    const header = long ? 12 : 8;
    if (buf.length < header) return 0;
    const length = long ? buf.readUInt32LE(8) : buf.readUInt16LE(6);
    if (length === UNDEFINED_LENGTH || length > 64 * 1024) {
      this.mode = 'all';
      return 0;
    }
    if (buf.length < header + length) return 0;
    if (buf.readUInt16LE(2) === 0x0010) {
      this.metaTransferSyntax = buf.toString('latin1', header, header + length).replace(/[\0 ]+$/g, '').trim();
    }
    this.retain(buf.subarray(0, header + length));
    return header + length;
  }

  private startDataSet(): void {
    const uid = this.metaTransferSyntax;
    const info = uid === undefined ? undefined : transferSyntaxInfo(uid);
    // parsePart10 refuses these before reading the data set: nothing more is needed.
    if (!info) this.mode = 'ignore';
    // Offsets in a deflated file point into the inflated data: it is parsed whole (and small).
    else if (info.deflated || uid === TransferSyntax.DeflatedExplicitVRLittleEndian) this.mode = 'all';
    else {
      this.mode = 'dataSet';
      this.explicitVr = info.explicitVr;
      this.littleEndian = info.littleEndian;
    }
  }

  private u16(buf: Buffer, at: number, little = this.littleEndian): number {
    return little ? buf.readUInt16LE(at) : buf.readUInt16BE(at);
  }

  private u32(buf: Buffer, at: number, little = this.littleEndian): number {
    return little ? buf.readUInt32LE(at) : buf.readUInt32BE(at);
  }

  private dataSetElement(buf: Buffer): number {
    const context = this.stack[this.stack.length - 1];
    if (buf.length < 8) return 0;
    const group = this.u16(buf, 0);
    const element = this.u16(buf, 2);

    if (context && context.kind !== 'item') {
      // Inside a sequence or encapsulated pixel data: only items and the delimiter.
      const length = this.u32(buf, 4);
      this.retain(buf.subarray(0, 8));
      if (group === 0xfffe && element === 0xe0dd) {
        this.stack.pop();
        return 8;
      }
      if (group !== 0xfffe || element !== 0xe000) {
        this.mode = 'all';
        return 8;
      }
      if (context.kind === 'sequence') {
        if (length === UNDEFINED_LENGTH) this.stack.push({ kind: 'item', firstItem: false });
        else this.keep = length;
        return 8;
      }
      if (length === UNDEFINED_LENGTH) {
        this.mode = 'all';
        return 8;
      }
      // The Basic Offset Table is read whole; a fragment only by its first bytes (which codec
      // stream it starts), the rest is pixel data.
      if (context.firstItem) {
        context.firstItem = false;
        this.keep = length;
      } else {
        this.keep = Math.min(length, FRAGMENT_HEAD_BYTES);
        this.skipAfterKeep = length - this.keep;
        this.skipIsFragment = true;
      }
      return 8;
    }

    const topLevel = context === undefined;
    const tag = (group << 16) | element;
    if (group === 0xfffe) {
      if (context && element === 0xe00d) {
        this.retain(buf.subarray(0, 8));
        this.stack.pop();
        return 8;
      }
      this.mode = 'all';
      return 0;
    }
    if (topLevel && tag === 0) {
      // parsePart10 stops at a top-level (0000,0000): trailing padding, never read.
      this.retain(buf.subarray(0, Math.min(buf.length, 12)));
      this.mode = 'ignore';
      return Math.min(buf.length, 12);
    }

    let vr: string | undefined;
    let length: number;
    let header: number;
    if (this.explicitVr) {
      vr = buf.toString('latin1', 4, 6);
      if (LONG_LENGTH_VRS.has(vr)) {
        if (buf.length < 12) return 0;
        length = this.u32(buf, 8);
        header = 12;
      } else {
        length = this.u16(buf, 6);
        header = 8;
      }
    } else {
      length = this.u32(buf, 4);
      header = 8;
      const known = dictionaryVr(tagKey(tag));
      vr = known === undefined ? undefined : resolveAmbiguousVr(known, undefined);
    }

    let startsWithItem: boolean | undefined;
    if (!this.explicitVr && vr === undefined && length >= 4) {
      // dicom-parser reads an unknown implicit element as a sequence when an item follows.
      if (buf.length < header + 4) return 0;
      const next = (this.u16(buf, header) << 16) | this.u16(buf, header + 2);
      startsWithItem = next === ITEM_TAG || next === SEQUENCE_DELIMITER_TAG;
    }

    if (length === UNDEFINED_LENGTH) {
      this.retain(buf.subarray(0, header));
      const isSequence = vr === 'SQ' || (!this.explicitVr && vr === undefined && startsWithItem === true);
      if (isSequence) this.stack.push({ kind: 'sequence', firstItem: false });
      else if (this.explicitVr && tag === PIXEL_DATA_TAG) this.stack.push({ kind: 'pixel', firstItem: true });
      else this.mode = 'all';
      return header;
    }

    this.retain(buf.subarray(0, header));
    if (topLevel && length >= this.minSkippedBytes && isBulk(tag, vr, startsWithItem)) {
      this.skip = length;
      this.skipIsFragment = false;
    } else {
      this.keep = length;
    }
    return header;
  }
}

/**
 * Whether parsePart10 and toDicomJson never read the value: pixel data, and binary values (that
 * DICOM JSON gives as a BulkDataURI). The offset tables are read to locate frames.
 */
function isBulk(tag: number, vr: string | undefined, startsWithItem: boolean | undefined): boolean {
  if (tag === EXTENDED_OFFSET_TABLE_TAG || tag === EXTENDED_OFFSET_TABLE_LENGTHS_TAG) return false;
  if (PIXEL_TAGS.has(tag)) return true;
  if (vr === undefined) return startsWithItem === false;
  if (vr === 'UN' || !KNOWN_VRS.has(vr)) {
    // A UN value of a tag the dictionary knows is read with its real VR (PS3.5 6.2.2).
    const known = dictionaryVr(tagKey(tag));
    return known === undefined || BINARY_VRS.has(resolveAmbiguousVr(known, undefined));
  }
  return BINARY_VRS.has(vr);
}

/**
 * Whether dicom-parser read the sparse copy as the scanner did: every skipped range is exactly
 * the value of a top-level element, or the tail of a pixel data fragment. Anything else means
 * it may have read zeros where the file has data.
 */
export function checkSparseParse(dataSet: DataSet, skipped: ReadonlyArray<ByteRange & { fragment: boolean }>): boolean {
  const values = new Map<number, number>();
  const fragmentTails = new Map<number, number>();
  for (const element of Object.values(dataSet.elements)) {
    values.set(element.dataOffset, element.length);
    for (const fragment of element.fragments ?? []) {
      if (fragment.length > FRAGMENT_HEAD_BYTES) fragmentTails.set(fragment.position + FRAGMENT_HEAD_BYTES, fragment.length - FRAGMENT_HEAD_BYTES);
    }
  }
  return skipped.every((range) => (range.fragment ? fragmentTails : values).get(range.offset) === range.length);
}

const tagKey = (tag: number): string => `x${(tag >>> 0).toString(16).padStart(8, '0')}`;

const UNDEFINED_LENGTH = 0xffffffff;
const ITEM_TAG = 0xfffee000 | 0;
const SEQUENCE_DELIMITER_TAG = 0xfffee0dd | 0;
const PIXEL_DATA_TAG = 0x7fe00010;
const PIXEL_TAGS = new Set([0x7fe00010, 0x7fe00008, 0x7fe00009]);
const EXTENDED_OFFSET_TABLE_TAG = 0x7fe00001;
const EXTENDED_OFFSET_TABLE_LENGTHS_TAG = 0x7fe00002;
/** Enough to tell which codestream a fragment starts (frames.ts reads at most 6 bytes). */
export const FRAGMENT_HEAD_BYTES = 16;
/** toDicomJson's default inlineBinaryThreshold. */
const INLINE_BINARY_MAX = 1024;
/** Smaller values are kept: skipping them saves nothing worth the bookkeeping. */
const MIN_SKIPPED_BYTES = 64 * 1024;
/** dicom-parser 1.8's rule for a 4-byte length in explicit VR (OV, SV, UV are not in it). */
const LONG_LENGTH_VRS = new Set(['OB', 'OD', 'OL', 'OW', 'SQ', 'OF', 'UC', 'UR', 'UT', 'UN']);
const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);
const KNOWN_VRS = new Set(
  'AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '),
);
