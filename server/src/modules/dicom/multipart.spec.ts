import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MultipartLimitError, MultipartParseError } from './errors.js';
import {
  boundaryFromContentType,
  multipartEvents,
  multipartRelatedStream,
  newBoundary,
  parseContentType,
  parseMultipartRelated,
  type MultipartPart,
  type OutgoingPart,
} from './multipart.js';
import { parsePart10 } from './part10.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/dicom');
const fixture = (name: string): Buffer => readFileSync(path.join(fixtures, name));
const dicomFiles = ['MR_small.dcm', 'deflated.dcm', 'SC_rgb_rle_2frame.dcm', 'charset/chrH31.dcm', 'JPGExtended.dcm'].map(fixture);
const noLimits = { maxPartBytes: Number.MAX_SAFE_INTEGER, maxTotalBytes: Number.MAX_SAFE_INTEGER };

async function* chunked(bytes: Buffer, sizes: () => number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; ) {
    const size = Math.max(1, sizes());
    // Plain Uint8Array copies: the parser must not rely on receiving Buffers.
    yield new Uint8Array(bytes.subarray(i, i + size));
    i += size;
  }
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function parseAll(body: Buffer, boundary: string, sizes: () => number = () => body.length, limits = noLimits): Promise<MultipartPart[]> {
  return collect(parseMultipartRelated(chunked(body, sizes), boundary, limits));
}

async function parseError(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the parser to fail');
}

/** Deterministic pseudo-random chunk sizes, so a failure can be replayed. */
function randomSizes(seed: number, max: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return 1 + (state % max);
  };
}

async function writeBody(parts: OutgoingPart[], boundary: string): Promise<Buffer> {
  return Buffer.concat(await collect(multipartRelatedStream(parts, boundary)));
}

describe('boundaryFromContentType', () => {
  it('reads quoted and unquoted boundaries and leaves type= to the caller', () => {
    expect(boundaryFromContentType('multipart/related; type="application/dicom"; boundary="a b:c"')).toBe('a b:c');
    expect(boundaryFromContentType('Multipart/Related; boundary=XyZ123; type=application/dicom')).toBe('XyZ123');
    expect(parseContentType('multipart/related; type="application/dicom"; boundary=x').parameters.type).toBe('application/dicom');
  });
  it('refuses what is not a multipart type with a usable boundary', () => {
    expect(boundaryFromContentType('application/dicom')).toBeUndefined();
    expect(boundaryFromContentType('multipart/related; type="application/dicom"')).toBeUndefined();
    expect(boundaryFromContentType('multipart/related; boundary=""')).toBeUndefined();
    expect(boundaryFromContentType(undefined)).toBeUndefined();
  });
  it('takes boundaries as long as real senders make them (Orthanc: 73 characters), up to 256', async () => {
    const orthanc = 'd5c1a2b8-6a0e-4d55-9a8c-3f7f2f1e8b11-0b7a3c52-91c4-4f0e-a1d2-7e5b9c3d4f60';
    expect(orthanc).toHaveLength(73);
    expect(boundaryFromContentType(`multipart/related; type="application/dicom"; boundary=${orthanc}`)).toBe(orthanc);
    expect(boundaryFromContentType(`multipart/related; boundary=${'b'.repeat(256)}`)).toBe('b'.repeat(256));
    expect(boundaryFromContentType(`multipart/related; boundary=${'b'.repeat(257)}`)).toBeUndefined();
    const body = await writeBody(dicomFiles.map((f) => ({ contentType: 'application/dicom', body: f })), orthanc);
    // Orthanc ends with the closing boundary and no line break.
    const parts = await parseAll(body.subarray(0, body.length - 2), orthanc, randomSizes(73, 300));
    expect(parts.map((p) => p.body)).toEqual(dicomFiles);
  });
});

describe('multipartEvents', () => {
  it('hands a part’s bytes on before the part ends, holding no more than the boundary’s look-ahead', async () => {
    const big = Buffer.alloc(8 * 1024 * 1024, 0x2d);
    const boundary = newBoundary();
    const body = await writeBody([{ contentType: 'application/dicom', body: big }, { contentType: 'application/dicom', body: dicomFiles[0]! }], boundary);
    let pulled = 0;
    async function* source(): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < body.length; at += 65_536) {
        pulled += Math.min(65_536, body.length - at);
        yield body.subarray(at, at + 65_536);
      }
    }
    let received = 0;
    let mostAhead = 0;
    const kinds: string[] = [];
    for await (const event of multipartEvents(source(), boundary, noLimits)) {
      if (kinds[kinds.length - 1] !== event.kind) kinds.push(event.kind);
      if (event.kind === 'data') {
        received += event.chunk.length;
        mostAhead = Math.max(mostAhead, pulled - received);
      }
      if (event.kind === 'end') received = pulled;
    }
    expect(kinds).toEqual(['part', 'data', 'end', 'part', 'data', 'end']);
    // Bytes pulled but not yet handed on: one chunk and a boundary's worth, never the part.
    expect(mostAhead).toBeLessThan(65_536 + 200);
  });
});

describe('multipart round trip with DICOM files', () => {
  const parts: OutgoingPart[] = dicomFiles.map((body) => ({ contentType: 'application/dicom', body }));

  it('writes then parses every part byte for byte, whatever the chunking', async () => {
    const boundary = newBoundary();
    const body = await writeBody(parts, boundary);
    const chunkings: [string, () => number][] = [
      ['whole', () => body.length],
      ['1 byte', () => 1],
      ['7 bytes', () => 7],
      ['boundary length - 1', () => boundary.length + 3],
      ['random ≤ 100', randomSizes(1, 100)],
      ['random ≤ 70 000', randomSizes(2, 70_000)],
    ];
    for (const [name, sizes] of chunkings) {
      const received = await parseAll(body, boundary, sizes);
      expect(received.length, name).toBe(dicomFiles.length);
      received.forEach((part, i) => {
        expect(part.contentType, name).toBe('application/dicom');
        expect(part.body.equals(dicomFiles[i] ?? Buffer.alloc(0)), `${name}: part ${i}`).toBe(true);
      });
      // What was received is still DICOM: the STOW path parses it next.
      expect(parsePart10(received[3]?.body ?? Buffer.alloc(0)).patient.name?.raw).toBe('Yamada^Tarou=山田^太郎=やまだ^たろう');
    }
  });

  it('streams bodies given as async iterables', async () => {
    const boundary = newBoundary();
    const streamed = await writeBody(
      dicomFiles.slice(0, 2).map((file) => ({ contentType: 'application/dicom', headers: { 'Content-Location': 'x' }, body: chunked(file, () => 999) })),
      boundary,
    );
    const received = await parseAll(streamed, boundary, randomSizes(3, 5000));
    expect(received.map((p) => p.body.length)).toEqual(dicomFiles.slice(0, 2).map((f) => f.length));
    expect(received[0]?.headers['content-location']).toBe('x');
  });

  it('accepts a closing boundary with no line break after it, even split across chunks', async () => {
    const boundary = 'Boundary_42';
    const body = (await writeBody(parts, boundary)).subarray(0, -2);
    expect(body.toString('latin1').endsWith(`--${boundary}--`)).toBe(true);
    for (const sizes of [() => body.length, () => 1, randomSizes(4, 300)]) {
      const received = await parseAll(body, boundary, sizes);
      expect(received).toHaveLength(parts.length);
      expect(received[4]?.body.equals(dicomFiles[4] ?? Buffer.alloc(0))).toBe(true);
    }
  });
});

describe('parseMultipartRelated on hand-written bodies', () => {
  it('skips a preamble and transport padding, and reads a part without headers', async () => {
    const body = Buffer.from(
      'This is the preamble --b is not a delimiter here\r\n' +
        '--b   \t\r\n' +
        'Content-Type: application/dicom\r\nContent-ID:\r\n  <folded>\r\n\r\n' +
        'first\r\n--bb is content too\r\n' +
        '--b\r\n' +
        '\r\n' +
        'no headers\r\n' +
        '--b--\r\nepilogue',
      'latin1',
    );
    const received = await parseAll(body, 'b', () => 1);
    expect(received.map((p) => p.body.toString('latin1'))).toEqual(['first\r\n--bb is content too', 'no headers']);
    expect(received[0]?.headers['content-id']).toBe('<folded>');
    expect(received[1]?.headers).toEqual({});
    expect(received[1]?.contentType).toBeUndefined();
  });

  it('tolerates bare LF line endings', async () => {
    const body = Buffer.from('--b\nContent-Type: application/dicom\n\nA\r\nB\n--b\nContent-Type: text/plain\n\n\n--b--', 'latin1');
    const received = await parseAll(body, 'b', randomSizes(5, 4));
    expect(received.map((p) => [p.contentType, p.body.toString('latin1')])).toEqual([
      ['application/dicom', 'A\r\nB'],
      ['text/plain', ''],
    ]);
  });

  it('keeps bodies whose bytes almost make a delimiter, wherever the chunks end (the uncopied tail)', async () => {
    const boundary = 'seam-boundary';
    // CR, LF, dashes and the boundary cut short, next to one another, many times over.
    const traps = ['\r', '\r\n', '\r\n-', '\r\n--', '\r\n--seam', '\r\n--seam-boundar', '\n--seam-boundar', '\r\r\n--seam-boundarX', 'x\r'];
    const bodies = [0, 1, 2].map((seed) => {
      const pick = randomSizes(seed + 10, traps.length);
      return Buffer.from(Array.from({ length: 400 }, () => traps[pick() - 1]! + 'ab'.repeat(pick())).join(''), 'latin1');
    });
    bodies.push(Buffer.from('\r\n--seam-boundar\r', 'latin1'));
    const body = await writeBody(bodies.map((b) => ({ contentType: 'application/octet-stream', body: b })), boundary);
    const delimiter = boundary.length + 3;
    const chunkings: Array<() => number> = [() => delimiter + 1, () => delimiter + 2, () => delimiter + 5, randomSizes(3, 3 * delimiter), randomSizes(4, 300)];
    for (const sizes of chunkings) {
      const parts = await parseAll(body, boundary, sizes);
      expect(parts.map((p) => p.body.toString('latin1'))).toEqual(bodies.map((b) => b.toString('latin1')));
    }
  });

  it('keeps binary bodies that contain CR, LF and dashes intact', async () => {
    const binary = Buffer.from([0x0d, 0x0a, 0x2d, 0x2d, 0x62, 0x0d, 0x0d, 0x0a, 0x0a, 0x2d, 0x00, 0xff, 0x0d]);
    const body = await writeBody([{ contentType: 'application/octet-stream', body: binary }], 'bX');
    for (const sizes of [() => 1, () => 2, () => 3]) {
      const [part] = await parseAll(body, 'bX', sizes);
      expect(part?.body.equals(binary)).toBe(true);
    }
  });

  it('fails when the closing boundary is missing', async () => {
    const body = (await writeBody([{ contentType: 'application/dicom', body: dicomFiles[0] ?? Buffer.alloc(0) }], 'b')).subarray(0, -6);
    const error = await parseError(parseAll(body, 'b', randomSizes(6, 500)));
    expect(error).toBeInstanceOf(MultipartParseError);
    expect((error as MultipartParseError).reason).toBe('MISSING_CLOSING_BOUNDARY');
    const truncatedInBody = await parseError(parseAll(body.subarray(0, 500), 'b'));
    expect((truncatedInBody as MultipartParseError).reason).toBe('MISSING_CLOSING_BOUNDARY');
  });

  it('fails when the boundary never appears', async () => {
    const error = await parseError(parseAll(Buffer.from('just some bytes'), 'b'));
    expect((error as MultipartParseError).reason).toBe('NO_BOUNDARY');
  });

  it('yields complete parts before a later failure', async () => {
    const body = Buffer.from('--b\r\nContent-Type: a/b\r\n\r\none\r\n--b\r\nContent-Type: a/b\r\n\r\ntwo, cut', 'latin1');
    const seen: string[] = [];
    const error = await parseError(
      (async () => {
        for await (const part of parseMultipartRelated(chunked(body, () => 5), 'b', noLimits)) seen.push(part.body.toString());
      })(),
    );
    expect(seen).toEqual(['one']);
    expect(error).toBeInstanceOf(MultipartParseError);
  });

  it('throws a MultipartLimitError past maxPartBytes or maxTotalBytes', async () => {
    const body = await writeBody(dicomFiles.map((b) => ({ contentType: 'application/dicom', body: b })), 'b');
    const largest = Math.max(...dicomFiles.map((f) => f.length));
    const part = await parseError(parseAll(body, 'b', () => 4096, { maxPartBytes: largest - 1, maxTotalBytes: Number.MAX_SAFE_INTEGER }));
    expect(part).toBeInstanceOf(MultipartLimitError);
    expect((part as MultipartLimitError).limit).toBe('maxPartBytes');
    const total = await parseError(parseAll(body, 'b', () => 4096, { maxPartBytes: largest, maxTotalBytes: body.length - 1 }));
    expect((total as MultipartLimitError).limit).toBe('maxTotalBytes');
    expect(await parseAll(body, 'b', () => 4096, { maxPartBytes: largest, maxTotalBytes: body.length })).toHaveLength(dicomFiles.length);
  });

  // Speed is measured by bench:dicomweb (STOW instances/s), not asserted here.
  it('parses a 60 MB CR-heavy body in 64 KiB chunks without losing a byte', async () => {
    const big = Buffer.alloc(20 * 1024 * 1024, 0x0d); // CR-heavy content: the worst case for the search
    const body = await writeBody([big, big, big].map((b) => ({ contentType: 'application/dicom', body: b })), newBoundary());
    const boundary = boundaryFromContentType(`multipart/related; boundary=${body.subarray(2, body.indexOf('\r\n')).toString('latin1')}`) ?? '';
    async function* views(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < body.length; i += 64 * 1024) yield body.subarray(i, i + 64 * 1024);
    }
    const received = await collect(parseMultipartRelated(views(), boundary, noLimits));
    expect(received.map((p) => p.body.length)).toEqual([big.length, big.length, big.length]);
    expect(received.every((p) => p.body.equals(big))).toBe(true);
  });
});
