import type { DicomJsonDataSet } from '../dicom/index.js';
import { extractFrame, parsePart10, toDicomJson } from '../dicom/index.js';
import { canDecode, CorruptPixelsError, UnsupportedPixelsError, type DecodedFrame } from '../pixels/decode.js';
import { encodeImage, type ImageFormat } from '../pixels/encode-image.js';
import { toExplicitLittleEndian } from '../pixels/explicit-le.js';
import { PixelPool, PixelPoolBusyError } from '../pixels/pixel-pool.js';
import { inlineBinary, pixelModuleOf, PixelModuleError, type PixelModule } from '../pixels/pixel-module.js';
import type { RenderOptions } from '../pixels/render.js';
import type { Reader } from './dicomweb-access.service.js';
import { DicomwebError, badRequest, notAcceptable, notFound } from './dicomweb-error.js';
import { bulkDataOf, framesOf, instancesToRetrieve, metadataOf, type FrameDeps, type ResourceRef, type StoredInstance } from './wado.service.js';
import type { Segment } from './response-body.js';

/**
 * Pixels served decoded: rendered images and thumbnails (PS3.18 10.4.1.1.3 and 10.4.1.1.5),
 * frames and instances transcoded to Explicit VR Little Endian (PS3.18 8.7.3.5.2's default).
 * Every read goes through the same authorised lookups as WADO-RS (wado.service.ts); decoding and
 * rendering run in the pixel pool, off the event loop.
 */
const pool = new PixelPool();

/** The largest frame decoded in memory (rows × columns × samples × bytes); beyond it, 406. */
const MAX_DECODED_FRAME_BYTES = 256 * 1024 * 1024;
/** The largest instance transcoded whole in memory; beyond it, 406 (frames stay available). */
const MAX_TRANSCODED_INSTANCE_BYTES = 512 * 1024 * 1024;

export interface RenderParameters extends RenderOptions {
  format: ImageFormat;
  quality: number;
  viewport?: { width: number; height: number };
}

export interface PixelDeps extends FrameDeps {
  rootUrl: string;
}

interface InstanceImage {
  json: DicomJsonDataSet;
  pm: PixelModule;
  transferSyntaxUid: string;
}

async function imageOf(deps: PixelDeps, reader: Reader, ref: Required<ResourceRef>): Promise<InstanceImage> {
  const [json] = JSON.parse(await metadataOf(reader.em(), await reader.scope(), ref, deps.rootUrl)) as DicomJsonDataSet[];
  if (!json) throw notFound();
  // STOW records the stored syntax in the metadata (AvailableTransferSyntaxUID): no second lookup.
  const available = json['00083002']?.Value?.[0];
  const transferSyntaxUid = typeof available === 'string' ? available : await storedSyntax(reader, ref);
  try {
    const pm = await pixelModuleOf(json, async (tag, attribute) => {
      const inline = inlineBinary(attribute);
      if (inline) return inline;
      const bulk = await bulkDataOf(deps, reader, ref, tag);
      if (bulk.kind !== 'value') throw new PixelModuleError('A lookup table stored as pixel data');
      return bulk.read();
    });
    return { json, pm, transferSyntaxUid };
  } catch (err) {
    if (err instanceof PixelModuleError) throw new DicomwebError(406, `${err.message}: it cannot be rendered`);
    throw err;
  }
}

async function storedSyntax(reader: Reader, ref: Required<ResourceRef>): Promise<string> {
  const [instance] = await instancesToRetrieve(reader.em(), await reader.scope(), ref);
  if (!instance) throw notFound();
  return instance.transferSyntaxUid;
}

async function frameBytes(deps: PixelDeps, segments: Segment[]): Promise<Uint8Array> {
  const parts = await Promise.all(segments.map((s) => (Buffer.isBuffer(s) ? s : deps.storage.readRanges(s.key, [[s.offset, s.length]]))));
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

function checkDecodable(image: InstanceImage): void {
  const { pm, transferSyntaxUid } = image;
  if (!canDecode(transferSyntaxUid, pm)) throw notAcceptable(`Frames stored as ${transferSyntaxUid} cannot be decoded by this server`);
  if (pm.rows * pm.columns * pm.samplesPerPixel * Math.ceil(pm.bitsAllocated / 8) > MAX_DECODED_FRAME_BYTES) throw notAcceptable('The frame is too large to be decoded here');
}

function mapPixelError(err: unknown): never {
  if (err instanceof UnsupportedPixelsError) throw notAcceptable(err.message);
  if (err instanceof CorruptPixelsError) throw new DicomwebError(422, err.message);
  if (err instanceof PixelPoolBusyError) throw new DicomwebError(503, err.message);
  throw err;
}

/** Frames (1-based) of one instance, rendered: the metadata and the frames are read once for all of them. */
export async function renderedFrames(deps: PixelDeps, reader: Reader, ref: Required<ResourceRef>, frameNumbers: number[], params: RenderParameters): Promise<Buffer[]> {
  const image = await imageOf(deps, reader, ref);
  checkDecodable(image);
  if (frameNumbers.some((n) => n > image.pm.numberOfFrames)) throw notFound();
  const stored = await (await framesOf(deps, reader, ref, frameNumbers)).read();
  const out: Buffer[] = [];
  for (const segments of stored) {
    const bytes = await frameBytes(deps, segments);
    try {
      const result = await pool.run({ kind: 'render', transferSyntaxUid: image.transferSyntaxUid, frame: bytes, pm: image.pm, options: { ...(params.window ? { window: params.window } : {}) } });
      if (result.kind !== 'render') throw new Error('unexpected pixel result');
      out.push(await encodeImage(result.image, params.format, { quality: params.quality, ...(params.viewport ? { viewport: params.viewport } : {}) }));
    } catch (err) {
      mapPixelError(err);
    }
  }
  return out;
}

/** One frame (1-based) of one instance, rendered. */
export async function renderedFrame(deps: PixelDeps, reader: Reader, ref: Required<ResourceRef>, frameNumber: number, params: RenderParameters): Promise<Buffer> {
  const [image] = await renderedFrames(deps, reader, ref, [frameNumber], params);
  if (!image) throw notFound();
  return image;
}

/** The image that stands for a study, series or instance: the middle instance's middle frame. */
export async function representativeInstance(reader: Reader, ref: ResourceRef): Promise<{ ref: Required<ResourceRef>; frame: number }> {
  // 404 for what the caller may not read, as any WADO-RS read, before anything else is looked at.
  await instancesToRetrieve(reader.em(), await reader.scope(), ref);
  const rows = await reader.em().getConnection().execute<Array<{ series_instance_uid: string; sop_instance_uid: string; number_of_frames: number }>>(
    `select se.series_instance_uid, i.sop_instance_uid, i.number_of_frames
       from dicom_instance i join dicom_series se on se.id = i.series_id join dicom_study st on st.id = se.study_id
      where st.study_instance_uid = ? and (?::text is null or se.series_instance_uid = ?) and (?::text is null or i.sop_instance_uid = ?)
        and i.number_of_frames > 0
      order by se.series_number nulls last, se.series_instance_uid, i.instance_number nulls last, i.sop_instance_uid`,
    [ref.study, ref.series ?? null, ref.series ?? null, ref.instance ?? null, ref.instance ?? null],
  );
  const series = rows[0]?.series_instance_uid;
  const ofSeries = rows.filter((r) => r.series_instance_uid === series);
  const middle = ofSeries[Math.floor((ofSeries.length - 1) / 2)];
  if (!middle || !series) throw notAcceptable('Nothing here has an image to render');
  return { ref: { study: ref.study, series, instance: middle.sop_instance_uid }, frame: Math.max(1, Math.ceil(middle.number_of_frames / 2)) };
}

/** Frames of one instance decoded to native Explicit VR Little Endian. */
export async function transcodedFrames(deps: PixelDeps, reader: Reader, ref: Required<ResourceRef>, numbers: number[] | undefined): Promise<Buffer[]> {
  const image = await imageOf(deps, reader, ref);
  checkDecodable(image);
  const frames = await framesOf(deps, reader, ref, numbers);
  const stored = await frames.read();
  const out: Buffer[] = [];
  for (const segments of stored) {
    const bytes = await frameBytes(deps, segments);
    out.push(Buffer.from((await decode(image, bytes)).data));
  }
  return out;
}

async function decode(image: InstanceImage, bytes: Uint8Array): Promise<DecodedFrame> {
  try {
    const result = await pool.run({ kind: 'decode', transferSyntaxUid: image.transferSyntaxUid, frame: bytes, pm: image.pm });
    if (result.kind !== 'decode') throw new Error('unexpected pixel result');
    return result.frame;
  } catch (err) {
    mapPixelError(err);
  }
}

/** A whole stored instance re-encoded in Explicit VR Little Endian, its frames decoded. */
export async function transcodedInstance(deps: PixelDeps, instance: StoredInstance): Promise<Buffer> {
  if (instance.size > MAX_TRANSCODED_INSTANCE_BYTES) throw notAcceptable('The instance is too large to be transcoded here; its frames can be');
  const fileBytes = await deps.storage.readAll(instance.storageKey);
  let parsed;
  try {
    parsed = parsePart10(fileBytes);
  } catch {
    throw new DicomwebError(422, 'The stored instance could not be read');
  }
  if (!parsed.hasPixelData || parsed.frames.length === 0) return toExplicitLittleEndian(parsed, undefined);
  // The pixel description from the file itself, lookup tables inline.
  const json = toDicomJson(parsed, { bulkDataUri: () => undefined, inlineBinaryThreshold: MAX_TRANSCODED_INSTANCE_BYTES });
  let pm: PixelModule;
  try {
    pm = await pixelModuleOf(json, async (_tag, attribute) => inlineBinary(attribute) ?? Buffer.alloc(0));
  } catch (err) {
    if (err instanceof PixelModuleError) throw notAcceptable(`${err.message}: it cannot be transcoded`);
    throw err;
  }
  const image = { json, pm, transferSyntaxUid: parsed.transferSyntaxUid };
  checkDecodable(image);
  const frames: Uint8Array[] = [];
  let last: DecodedFrame | undefined;
  for (let i = 0; i < parsed.frames.length; i++) {
    last = await decode(image, extractFrame(fileBytes, parsed, i));
    frames.push(last.data);
  }
  return toExplicitLittleEndian(parsed, { frames, bitsAllocated: last!.bitsAllocated, photometric: last!.photometric, planarConfiguration: last!.planarConfiguration });
}

/** PS3.18 8.3.5.1: `window`, `viewport`, `quality`, and the rendered media type. */
export function renderParameters(query: Record<string, unknown>, format: ImageFormat, thumbnail: boolean): RenderParameters {
  const one = (name: string): string | undefined => {
    const v = query[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw badRequest(`${name} must be given once`);
    return v;
  };
  const params: RenderParameters = { format, quality: 90 };
  const quality = one('quality');
  if (quality !== undefined) {
    const q = Number(quality);
    if (!Number.isInteger(q) || q < 1 || q > 100) throw badRequest('quality must be an integer from 1 to 100');
    params.quality = q;
  }
  const window = one('window');
  if (window !== undefined) {
    const [c, w, fn = 'linear'] = window.split(',');
    const center = Number(c);
    const width = Number(w);
    const fnUpper = fn.toUpperCase().replace('-', '_');
    if (!Number.isFinite(center) || !Number.isFinite(width) || width < 1 || !['LINEAR', 'LINEAR_EXACT', 'SIGMOID'].includes(fnUpper)) {
      throw badRequest('window must be center,width[,linear|linear-exact|sigmoid] with width ≥ 1');
    }
    params.window = { center, width, fn: fnUpper as 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID' };
  }
  const viewport = one('viewport');
  if (viewport !== undefined) {
    const [vw, vh] = viewport.split(',').map(Number);
    if (!Number.isInteger(vw) || !Number.isInteger(vh) || vw! < 1 || vh! < 1 || vw! > 4096 || vh! > 4096) throw badRequest('viewport must be width,height in pixels (1 to 4096)');
    params.viewport = { width: vw!, height: vh! };
  } else if (thumbnail) {
    params.viewport = { width: 128, height: 128 };
  }
  return params;
}
