import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parsePart10 } from '../../src/modules/dicom/part10.js';
import { el, writePart10 } from '../../src/modules/demo/generator/dicom-writer.js';
import { SopClass, T } from '../../src/modules/demo/generator/dicom-tags.js';

/** What STOW-RS clients of the resilience suite send: generated, mutated and streamed instances. */

export const corpusDir = process.env.CORPUS_DIR ?? path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../../shared/corpus/files');

/** A small deterministic PRNG (mulberry32): the same seed gives the same mutations on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A UID of the same length with new digits (dots kept where they were), so offsets do not move. */
function freshUidBytes(value: Buffer, random: () => number): Buffer {
  const out = Buffer.from(value);
  let last = -1;
  for (let i = 0; i < out.length; i++) if (out[i] === 0x2e) last = i;
  // Only the last component changes; its first digit is never 0 (a UID component has no leading zero).
  for (let i = last + 1; i < out.length; i++) {
    if (out[i]! < 0x30 || out[i]! > 0x39) continue;
    out[i] = 0x30 + (i === last + 1 ? 1 + Math.floor(random() * 9) : Math.floor(random() * 10));
  }
  return out;
}

export type Mutation = 'bit flips' | 'truncation' | 'lying length' | 'byte run';

/**
 * `count` mutants of `source`: its SOPInstanceUID renewed in place (data set and file meta) so
 * each mutant is its own instance, then bit flips, a truncation, a length field that lies about
 * its element, or a run of overwritten bytes.
 */
export function mutants(source: Buffer, count: number, seed: number): Array<{ data: Buffer; mutation: Mutation }> {
  const random = prng(seed);
  const parsed = parsePart10(source);
  const uid = parsed.dataSet.elements.x00080018;
  const elements = Object.values(parsed.dataSet.elements);
  const explicitVr = !parsed.implicitVr;
  const little = parsed.transferSyntax.littleEndian;
  const out: Array<{ data: Buffer; mutation: Mutation }> = [];
  const kinds: Mutation[] = ['bit flips', 'truncation', 'lying length', 'byte run'];
  for (let n = 0; n < count; n++) {
    const data = Buffer.from(source);
    if (uid) {
      const renewed = freshUidBytes(data.subarray(uid.dataOffset, uid.dataOffset + uid.length), random);
      const old = data.subarray(uid.dataOffset, uid.dataOffset + uid.length);
      const inMeta = data.indexOf(old, 132);
      if (inMeta !== -1 && inMeta < uid.dataOffset) renewed.copy(data, inMeta);
      renewed.copy(data, uid.dataOffset);
    }
    const mutation = kinds[n % kinds.length]!;
    const at = (): number => 132 + Math.floor(random() * (data.length - 132));
    if (mutation === 'bit flips') {
      const flips = 1 + Math.floor(random() * 8);
      for (let i = 0; i < flips; i++) {
        const pos = at();
        data[pos] = data[pos]! ^ (1 << Math.floor(random() * 8));
      }
      out.push({ data, mutation });
    } else if (mutation === 'truncation') {
      out.push({ data: data.subarray(0, Math.floor(random() * data.length)), mutation });
    } else if (mutation === 'lying length') {
      const element = elements[Math.floor(random() * elements.length)]!;
      const long = !explicitVr || ['OB', 'OD', 'OL', 'OW', 'SQ', 'OF', 'UC', 'UR', 'UT', 'UN'].includes(element.vr ?? '');
      const lengthAt = element.dataOffset - 4;
      const lies = long ? [0xfffffffe, 0xffffffff, element.length + 1000, element.length * 2 + 1, data.length * 4, 0] : [0xffff, element.length + 7, 0];
      const lie = lies[Math.floor(random() * lies.length)]!;
      if (long && lengthAt >= 132) {
        if (little) data.writeUInt32LE(lie >>> 0, lengthAt);
        else data.writeUInt32BE(lie >>> 0, lengthAt);
      } else if (element.dataOffset - 2 >= 132) {
        if (little) data.writeUInt16LE(lie & 0xffff, element.dataOffset - 2);
        else data.writeUInt16BE(lie & 0xffff, element.dataOffset - 2);
      }
      out.push({ data, mutation });
    } else {
      const pos = at();
      const run = Math.min(data.length - pos, 1 + Math.floor(random() * 64));
      for (let i = 0; i < run; i++) data[pos + i] = Math.floor(random() * 256);
      out.push({ data, mutation });
    }
  }
  return out;
}

/** The UID STOW reports for a file, read the way a test can (undefined when unreadable). */
export function sopInstanceUidOf(data: Buffer): string | undefined {
  try {
    return parsePart10(data).sopInstanceUid;
  } catch {
    return undefined;
  }
}

/**
 * A native 16-bit instance of `frames` 512×512 frames, generated from a seed (the same seed gives
 * the same bytes) and streamed: its header, then PixelData 1 MiB at a time.
 */
export function hugeInstance(frames: number, seed: number): { sopInstanceUid: string; size: number; sha256: string; chunks(): Generator<Buffer> } {
  const random = prng(seed);
  const uid = (): string => `2.25.${Array.from({ length: 30 }, (_, i) => (i === 0 ? 1 + Math.floor(random() * 9) : Math.floor(random() * 10))).join('')}`;
  const sopInstanceUid = uid();
  const header = writePart10([
    el(T.SpecificCharacterSet, 'CS', 'ISO_IR 192'),
    el(T.SOPClassUID, 'UI', SopClass.CtImage),
    el(T.SOPInstanceUID, 'UI', sopInstanceUid),
    el(T.Modality, 'CS', 'CT'),
    el(T.PatientName, 'PN', 'RÉSILIENCE^Test'),
    el(T.PatientID, 'LO', 'RES-1'),
    el(T.StudyInstanceUID, 'UI', uid()),
    el(T.SeriesInstanceUID, 'UI', uid()),
    el(T.SamplesPerPixel, 'US', 1),
    el(T.PhotometricInterpretation, 'CS', 'MONOCHROME2'),
    el(T.NumberOfFrames, 'IS', String(frames)),
    el(T.Rows, 'US', 512),
    el(T.Columns, 'US', 512),
    el(T.BitsAllocated, 'US', 16),
    el(T.BitsStored, 'US', 16),
    el(T.HighBit, 'US', 15),
    el(T.PixelRepresentation, 'US', 0),
  ]);
  const pixelBytes = frames * 512 * 512 * 2;
  const pixelHeader = Buffer.alloc(12);
  pixelHeader.writeUInt16LE(0x7fe0, 0);
  pixelHeader.writeUInt16LE(0x0010, 2);
  pixelHeader.write('OW', 4, 'latin1');
  pixelHeader.writeUInt32LE(pixelBytes, 8);
  const noise = Buffer.alloc(2 ** 20);
  for (let i = 0; i < noise.length; i += 4) noise.writeUInt32LE(Math.floor(random() * 2 ** 32), i);
  function* chunks(): Generator<Buffer> {
    yield header;
    yield pixelHeader;
    for (let sent = 0; sent < pixelBytes; sent += noise.length) yield noise.subarray(0, Math.min(noise.length, pixelBytes - sent));
  }
  const hash = createHash('sha256');
  for (const c of chunks()) hash.update(c);
  return { sopInstanceUid, size: header.length + 12 + pixelBytes, sha256: hash.digest('hex'), chunks };
}

/** A STOW answer's DICOM JSON, as far as these tests read it. */
type StowJson = Record<string, { Value?: Array<Record<string, { Value?: unknown[] }>> } | undefined>;

export interface StowAnswer {
  status: number;
  json: StowJson | undefined;
  /** Set when the connection failed instead of answering. */
  error: string | undefined;
}

/**
 * POSTs a multipart/related body made of `parts` (each a sequence of chunks) in chunked encoding,
 * honouring back-pressure; `onWritten` sees the byte count after each chunk and may pause it.
 */
export function stowStreamed(
  url: string,
  key: string,
  parts: Array<Iterable<Buffer>>,
  onWritten: (bytes: number) => Promise<void> | void = () => undefined,
): Promise<StowAnswer> {
  return new Promise((resolve) => {
    const boundary = `${randomBytes(18).toString('hex')}-${randomBytes(18).toString('hex')}`;
    const target = new URL(`${url}/dicomweb/studies`);
    let settled = false;
    const finish = (answer: StowAnswer): void => {
      if (!settled) resolve(answer);
      settled = true;
    };
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`, 'transfer-encoding': 'chunked' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e: NodeJS.ErrnoException) => finish({ status: res.statusCode ?? 0, json: undefined, error: e.code ?? e.message }));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: StowJson | undefined;
          try {
            json = JSON.parse(text) as StowJson;
          } catch {
            json = undefined;
          }
          finish({ status: res.statusCode ?? 0, json, error: undefined });
        });
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => finish({ status: 0, json: undefined, error: e.code ?? e.message }));
    const write = (chunk: Buffer): Promise<void> | undefined => (req.write(chunk) ? undefined : new Promise((r) => req.once('drain', r)));
    void (async () => {
      let written = 0;
      for (const part of parts) {
        await write(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`, 'latin1'));
        for (const chunk of part) {
          if (req.destroyed) return;
          await write(chunk);
          written += chunk.length;
          await onWritten(written);
        }
        await write(Buffer.from('\r\n', 'latin1'));
      }
      req.end(Buffer.from(`--${boundary}--`, 'latin1'));
    })().catch((e: Error) => finish({ status: 0, json: undefined, error: e.message }));
  });
}

/** UIDs in a STOW answer's ReferencedSOPSequence and FailedSOPSequence. */
export function stowUids(json: StowJson | undefined): { stored: string[]; failed: number } {
  const stored = (json?.['00081199']?.Value ?? []).map((item) => String(item['00081155']?.Value?.[0]));
  return { stored, failed: (json?.['00081198']?.Value ?? []).length };
}

/** Every file under `dir`, recursively (none when it does not exist). */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => path.join(dir, f))
    .filter((f) => fs.statSync(f).isFile());
}

/** The process's resident memory now, in MB, from /proc. */
export function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}
