import type { Request, Response, Router } from 'express';
import type { ImageFormat } from '../pixels/encode-image.js';
import type { Reader } from './dicomweb-access.service.js';
import { badRequest, checkUid, notAcceptable } from './dicomweb-error.js';
import type { FrameRepresentation } from './media-types.js';
import { renderParameters, renderedFrame, renderedFrames, representativeInstance, type PixelDeps, type RenderParameters } from './pixels.service.js';
import type { Segment } from './response-body.js';
import { parseFrameList, type ResourceRef } from './wado.service.js';

type Handler = (req: Request, res: Response, reader: Reader) => Promise<void>;
type SendParts = (res: Response, bodies: Segment[][], representation: FrameRepresentation) => Promise<void>;

/** The rendered media type a client accepts (PS3.18 8.7.4): JPEG unless it prefers PNG. */
function renderedFormat(req: Request): ImageFormat {
  const accept = typeof req.query.accept === 'string' ? req.query.accept : req.headers.accept;
  if (!accept || !accept.trim()) return 'image/jpeg';
  const entries = accept.split(',').map((e) => {
    const [type = '', ...params] = e.split(';').map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    return { type, q: q ? Number(q.slice(2)) : 1 };
  });
  for (const { type } of entries.filter((e) => e.q > 0).sort((a, b) => b.q - a.q)) {
    if (type === 'image/jpeg' || type === 'image/*' || type === '*/*') return 'image/jpeg';
    if (type === 'image/png') return 'image/png';
  }
  throw notAcceptable('Rendered images are offered as image/jpeg or image/png');
}

function refOf(req: Request): ResourceRef {
  const ref: ResourceRef = { study: checkUid(req.params.study, 'StudyInstanceUID') };
  if (req.params.series !== undefined) ref.series = checkUid(req.params.series, 'SeriesInstanceUID');
  if (req.params.instance !== undefined) ref.instance = checkUid(req.params.instance, 'SOPInstanceUID');
  return ref;
}

function sendImage(res: Response, format: ImageFormat, body: Buffer): void {
  res.status(200).type(format).send(body);
}

/**
 * WADO-RS rendered resources and thumbnails (PS3.18 10.4.1.1.3, 10.4.1.1.5). A study, series or
 * multi-frame instance is represented by one image: its middle instance's middle frame (the one
 * a viewer opens on); frame lists render each frame, as multipart when there are several.
 */
export function registerPixelRoutes(router: Router, handle: (h: Handler) => (req: Request, res: Response) => Promise<void>, deps: PixelDeps, sendParts: SendParts): void {
  const representative = (thumbnail: boolean): Handler => async (req, res, reader) => {
    const format = renderedFormat(req);
    const params = renderParameters(req.query, format, thumbnail);
    const { ref, frame } = await representativeInstance(reader, refOf(req));
    sendImage(res, format, await renderedFrame(deps, reader, ref, frame, params));
  };
  const frames = (thumbnail: boolean): Handler => async (req, res, reader) => {
    const format = renderedFormat(req);
    const params: RenderParameters = renderParameters(req.query, format, thumbnail);
    const ref = refOf(req) as Required<ResourceRef>;
    const numbers = parseFrameList(String(req.params.frames));
    if (numbers.length > 100) throw badRequest('At most 100 frames are rendered at once');
    if (numbers.length === 1 || thumbnail) {
      sendImage(res, format, await renderedFrame(deps, reader, ref, numbers[0]!, params));
      return;
    }
    const images: Segment[][] = (await renderedFrames(deps, reader, ref, numbers, params)).map((image) => [image]);
    await sendParts(res, images, { multipart: true, transcode: false, partContentType: format, rootType: format });
  };
  for (const [suffix, thumbnail] of [['rendered', false], ['thumbnail', true]] as const) {
    router.get(`/studies/:study/${suffix}`, handle(representative(thumbnail)));
    router.get(`/studies/:study/series/:series/${suffix}`, handle(representative(thumbnail)));
    router.get(`/studies/:study/series/:series/instances/:instance/${suffix}`, handle(representative(thumbnail)));
    router.get(`/studies/:study/series/:series/instances/:instance/frames/:frames/${suffix}`, handle(frames(thumbnail)));
  }
}

/** WADO-URI's rendering parameters (PS3.18 9.1.2.1.*): windowCenter/windowWidth, rows/columns, imageQuality. */
export function wadoUriRenderParameters(q: Request['query'], format: ImageFormat): RenderParameters {
  const one = (name: string): string | undefined => {
    const v = q[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw badRequest(`${name} must be given once`);
    return v;
  };
  const center = one('windowCenter');
  const width = one('windowWidth');
  if ((center === undefined) !== (width === undefined)) throw badRequest('windowCenter and windowWidth go together');
  const rows = one('rows');
  const columns = one('columns');
  const quality = one('imageQuality');
  return renderParameters(
    {
      ...(center !== undefined ? { window: `${center},${width}` } : {}),
      ...(rows !== undefined || columns !== undefined ? { viewport: `${columns ?? rows},${rows ?? columns}` } : {}),
      ...(quality !== undefined ? { quality } : {}),
    },
    format,
    false,
  );
}
