import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DicomJson } from '../src/dicomweb/dicomJson';
import { DicomWebError, FRAME_ACCEPT } from '../src/dicomweb/client';
import { decodePreview, fetchFrame, previewable } from '../src/viewer/preview';

const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const BIG_ENDIAN = '1.2.840.10008.1.2.2';
const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';

/** DICOM JSON of a 2 × 2 CT slice, as the server's metadata gives it; `extra` overrides attributes. */
function ct(extra: DicomJson = {}): DicomJson {
  return {
    '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] },
    '00083002': { vr: 'UI', Value: [EXPLICIT_LE] },
    '00280002': { vr: 'US', Value: [1] },
    '00280004': { vr: 'CS', Value: ['MONOCHROME2'] },
    '00280010': { vr: 'US', Value: [2] },
    '00280011': { vr: 'US', Value: [2] },
    '00280030': { vr: 'DS', Value: [0.7, 0.7] },
    '00280100': { vr: 'US', Value: [16] },
    '00280101': { vr: 'US', Value: [12] },
    '00280103': { vr: 'US', Value: [0] },
    '00281050': { vr: 'DS', Value: [40, 300] },
    '00281051': { vr: 'DS', Value: [400, 2000] },
    '00281052': { vr: 'DS', Value: [-1024] },
    '00281053': { vr: 'DS', Value: [1] },
    ...extra,
  };
}

const le16 = (...values: number[]) => new Uint8Array(values.flatMap((v) => [v & 0xff, (v >> 8) & 0xff]));

describe('which first images are drawn before Cornerstone', () => {
  it('previews plain grayscale images: a CT slice, MONOCHROME1, 8 bits, big endian', () => {
    expect(previewable(ct())).toBe(true);
    expect(previewable(ct({ '00280004': { vr: 'CS', Value: ['MONOCHROME1'] } }))).toBe(true);
    expect(previewable(ct({ '00280100': { vr: 'US', Value: [8] } }))).toBe(true);
    expect(previewable(ct({ '00083002': { vr: 'UI', Value: [BIG_ENDIAN] } }))).toBe(true);
  });

  it('leaves to Cornerstone what it would draw differently: colour, compressed, LUT sequences, XA, 32 bits, unknown syntax, odd aspect', () => {
    const cases: Record<string, DicomJson> = {
      rgb: ct({ '00280002': { vr: 'US', Value: [3] }, '00280004': { vr: 'CS', Value: ['RGB'] } }),
      palette: ct({ '00280004': { vr: 'CS', Value: ['PALETTE COLOR'] } }),
      jpeg: ct({ '00083002': { vr: 'UI', Value: [JPEG_BASELINE] } }),
      noSyntax: ct({ '00083002': undefined }),
      voiLut: ct({ '00283010': { vr: 'SQ', Value: [{}] } }),
      modalityLut: ct({ '00283000': { vr: 'SQ', Value: [{}] } }),
      xa: ct({ '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.12.1'] } }),
      float: ct({ '00280100': { vr: 'US', Value: [32] } }),
      imagerSpacing: ct({ '00280030': undefined, '00181164': { vr: 'DS', Value: [0.1, 0.2] } }),
    };
    for (const [name, instance] of Object.entries(cases)) expect(previewable(instance), name).toBe(false);
  });
});

describe('decoding the previewed frame', () => {
  it('takes the file’s first window, the rescale and the pixel spacing, and measures the stored range', () => {
    const image = decodePreview(ct(), { pixelData: le16(1000, 1064, 2048, 4095), transferSyntax: EXPLICIT_LE });
    expect(Array.from(image.pixels)).toEqual([1000, 1064, 2048, 4095]);
    expect(image).toMatchObject({ rows: 2, columns: 2, min: 1000, max: 4095, slope: 1, intercept: -1024, windowWidth: 400, windowCenter: 40, invert: false });
    expect([image.rowPixelSpacing, image.columnPixelSpacing]).toEqual([0.7, 0.7]);
  });

  it('without a usable window (width ≤ 1), windows the stored range after the rescale, as the viewer does', () => {
    const image = decodePreview(ct({ '00281051': { vr: 'DS', Value: [0] } }), { pixelData: le16(1000, 1064, 2048, 4095), transferSyntax: EXPLICIT_LE });
    expect([image.windowWidth, image.windowCenter]).toEqual([3095, -24 + 3095 / 2]);
  });

  it('inverts MONOCHROME1, reads signed and big-endian pixels as the loader does', () => {
    expect(decodePreview(ct({ '00280004': { vr: 'CS', Value: ['MONOCHROME1'] } }), { pixelData: le16(1, 2, 3, 4), transferSyntax: EXPLICIT_LE }).invert).toBe(true);
    const signed = decodePreview(ct({ '00280103': { vr: 'US', Value: [1] } }), { pixelData: le16(0x0800, 0x0fff, 0x07ff, 0), transferSyntax: EXPLICIT_LE });
    expect(Array.from(signed.pixels)).toEqual([-2048, -1, 2047, 0]);
    expect([signed.min, signed.max]).toEqual([-2048, 2047]);
    const big = decodePreview(ct(), { pixelData: new Uint8Array([0x03, 0xe8, 0, 1, 0, 2, 0, 3]), transferSyntax: BIG_ENDIAN });
    expect(Array.from(big.pixels)).toEqual([1000, 1, 2, 3]);
  });

  it('leaves the fetched bytes as they were (Cornerstone decodes them again)', () => {
    const bytes = le16(0x0800, 0x0fff, 0x07ff, 0);
    decodePreview(ct({ '00280103': { vr: 'US', Value: [1] } }), { pixelData: bytes, transferSyntax: EXPLICIT_LE });
    expect(Array.from(bytes)).toEqual(Array.from(le16(0x0800, 0x0fff, 0x07ff, 0)));
  });

  it('refuses a frame sent compressed or shorter than Rows × Columns', () => {
    expect(() => decodePreview(ct(), { pixelData: le16(1, 2, 3, 4), transferSyntax: JPEG_BASELINE })).toThrow();
    expect(() => decodePreview(ct(), { pixelData: le16(1, 2, 3), transferSyntax: EXPLICIT_LE })).toThrow(/incomplete/);
  });
});

describe('fetching the previewed frame, as the loader does', () => {
  let server: http.Server;
  let base: string;
  const seen: Array<{ url: string | undefined; accept: string | undefined; grant: string | undefined }> = [];
  const PIXELS = le16(10, 20, 30, 40);

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push({ url: req.url, accept: req.headers.accept, grant: req.headers['x-share-grant'] as string | undefined });
      if (req.url === '/frames/denied') {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"UNAUTHENTICATED"}');
        return;
      }
      if (req.url === '/frames/single') {
        res.writeHead(200, { 'content-type': `application/octet-stream; transfer-syntax=${BIG_ENDIAN}` }).end(PIXELS);
        return;
      }
      const boundary = 'b0undary';
      const head = Buffer.from(`--${boundary}\r\nContent-Type: application/octet-stream; transfer-syntax=${EXPLICIT_LE}\r\n\r\n`, 'latin1');
      const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1');
      res.writeHead(200, { 'content-type': `multipart/related; type="application/octet-stream"; boundary=${boundary}` }).end(Buffer.concat([head, PIXELS, tail]));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('asks with the loader’s Accept and the host’s headers, and takes the pixels and syntax out of the multipart part', async () => {
    const frame = await fetchFrame(`${base}/frames/1`, { 'X-Share-Grant': 'g-1' }, new AbortController().signal);
    expect(Array.from(frame.pixelData)).toEqual(Array.from(PIXELS));
    expect(frame.transferSyntax).toBe(EXPLICIT_LE);
    expect(seen.at(-1)).toEqual({ url: '/frames/1', accept: FRAME_ACCEPT, grant: 'g-1' });
  });

  it('takes a single-part answer whole, with the syntax of its content type', async () => {
    const frame = await fetchFrame(`${base}/frames/single`, {}, new AbortController().signal);
    expect(Array.from(frame.pixelData)).toEqual(Array.from(PIXELS));
    expect(frame.transferSyntax).toBe(BIG_ENDIAN);
  });

  it('turns a refusal into the viewer’s access error', async () => {
    const error = await fetchFrame(`${base}/frames/denied`, {}, new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DicomWebError);
    expect(error).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
  });
});
