/**
 * The streaming scan keeps a few bytes of each instance and skips its bulk; indexing from that
 * sparse copy must give exactly what indexing the whole file gives, for every file of the shared
 * corpus (well-formed and malformed), however the bytes are chunked.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { toDicomJson } from './dicom-json.js';
import { DicomParseError } from './errors.js';
import { parsePart10, type ParsedInstance } from './part10.js';
import { Part10Scanner, checkSparseParse } from './part10-scan.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const corpusDir = process.env.CORPUS_DIR ?? path.resolve(repoRoot, '../shared/corpus/files');

const files = readdirSync(corpusDir, { recursive: true, encoding: 'utf8' })
  .filter((f) => statSync(path.join(corpusDir, f)).isFile())
  .sort();

/** What indexing keeps of a parse: the metadata, the frames, or the refusal's reason. */
function indexOf(parse: () => ParsedInstance): unknown {
  try {
    const p = parse();
    return {
      uids: [p.sopClassUid, p.sopInstanceUid, p.studyInstanceUid, p.seriesInstanceUid, p.transferSyntaxUid],
      metadata: toDicomJson(p, { bulkDataUri: (_tag, at) => `bulk/${at}` }),
      frames: p.frames,
      packedBits: p.packedBits,
      document: p.encapsulatedDocument,
    };
  } catch (error) {
    if (error instanceof DicomParseError) return { refused: error.reason };
    throw error;
  }
}

function scan(bytes: Buffer, chunkSize: (n: number) => number, minSkippedBytes: number): { scanner: Part10Scanner; sparse: Buffer } {
  const scanner = new Part10Scanner({ maxKeptBytes: 64 * 1024 * 1024, minSkippedBytes });
  for (let at = 0, n = 0; at < bytes.length; n++) {
    const size = chunkSize(n);
    scanner.push(bytes.subarray(at, at + size));
    at += size;
  }
  return { scanner, sparse: scanner.sparseCopy(bytes.length) };
}

describe('Part10Scanner', () => {
  it('indexes every corpus file from its sparse copy exactly as from the whole file', () => {
    expect(files.length).toBeGreaterThan(90);
    let skippedBytes = 0;
    let totalBytes = 0;
    for (const file of files) {
      const bytes = readFileSync(path.join(corpusDir, file));
      const whole = indexOf(() => parsePart10(bytes));
      for (const chunking of [(n: number) => [1, 7, 8, 13, 4096][n % 5] ?? 1, () => 65_536]) {
        const { scanner, sparse } = scan(bytes, chunking, 1025);
        const fromSparse = indexOf(() => {
          const parsed = parsePart10(sparse);
          if (!checkSparseParse(parsed.dataSet, scanner.skipped)) throw new Error('unfollowed');
          return parsed;
        });
        expect([file, fromSparse]).toEqual([file, whole]);
        if (chunking.length === 0) skippedBytes += scanner.skipped.reduce((n, r) => n + r.length, 0);
      }
      totalBytes += bytes.length;
    }
    // Most of the corpus's bytes are bulk data that the index never reads.
    expect(skippedBytes / totalBytes).toBeGreaterThan(0.5);
  });

  it('lays every corpus file into one reused buffer as into a new one, and leaves that buffer all zeros', () => {
    const scratch = Buffer.alloc(Math.max(...files.map((f) => statSync(path.join(corpusDir, f)).size)));
    const zeros = Buffer.alloc(scratch.length);
    for (const file of files) {
      const bytes = readFileSync(path.join(corpusDir, file));
      const { scanner, sparse } = scan(bytes, () => 65_536, 1025);
      const into = scanner.sparseCopyInto(scratch.subarray(0, bytes.length));
      expect([file, into.equals(sparse)]).toEqual([file, true]);
      scanner.clearSparse(into);
      // What one instance left would otherwise show in the next one's skipped ranges.
      expect([file, scratch.equals(zeros)]).toEqual([file, true]);
    }
  });

  it('keeps a few kilobytes of a multi-frame instance and notices when the kept bytes pass the limit', () => {
    const file = files.find((f) => statSync(path.join(corpusDir, f)).size > 1_000_000 && !f.startsWith('malformed/'));
    expect(file).toBeDefined();
    const bytes = readFileSync(path.join(corpusDir, file as string));
    const { scanner } = scan(bytes, () => 65_536, 65_536);
    const kept = bytes.length - scanner.skipped.reduce((n, r) => n + r.length, 0);
    expect(kept).toBeLessThan(Math.max(64 * 1024, bytes.length / 10));

    const tight = new Part10Scanner({ maxKeptBytes: kept - 1 });
    tight.push(bytes);
    expect(tight.overflow).toBe(true);
    const enough = new Part10Scanner({ maxKeptBytes: kept });
    enough.push(bytes);
    expect(enough.overflow).toBe(false);
  });
});
