import type { IncomingHttpHeaders } from 'node:http';
import type { Request, Response, Router } from 'express';
import express from 'express';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppDeps } from '../../app-deps.js';
import type { Viewer } from '../../graphql/context.js';
import { resolveViewer } from '../../graphql/viewer.js';
import { parseCookies } from '../../infra/http/cookies.js';
import type { HttpModule } from '../../infra/http/modules.js';
import { SESSION_COOKIE, sessionTokenHash } from '../auth/auth.service.js';
import { resolveReadScope, type ReadDeps, type ReadScope, type Reader } from './dicomweb-access.service.js';
import { DicomwebError, badRequest, checkUid, notAcceptable } from './dicomweb-error.js';
import { negotiateDicom, negotiateFrames, negotiateJson, type FrameRepresentation } from './media-types.js';
import type { Level, SearchPath } from './qido.queries.js';
import { search } from './qido.service.js';
import { storeInstances } from './stow.service.js';
import { isConnectionLost } from '../../infra/db/connection-loss.js';
import { PreparedStatements } from '../../infra/db/prepared-statements.js';
import { readCacheOf } from './read-cache.js';
import { sendBody, sendMultipart, type Segment } from './response-body.js';
import { registerPixelRoutes, wadoUriRenderParameters } from './pixels.routes.js';
import { renderedFrame, transcodedFrames, transcodedInstance, type PixelDeps } from './pixels.service.js';
import { canDecodeSyntax } from '../pixels/decode.js';
import type { ImageFormat } from '../pixels/encode-image.js';
import { bulkDataOf, framesOf, instanceSegment, instancesToRetrieve, metadataOf, parseFrameList, type FrameDeps, type Frames, type ResourceRef, type StoredInstance } from './wado.service.js';

const EXPLICIT_LE = '1.2.840.10008.1.2.1';

/**
 * DICOMweb (PS3.18) under /dicomweb: STOW-RS, QIDO-RS, WADO-RS and WADO-URI. Routes parse the
 * request, call one service and shape the answer; who may do what is decided in the services
 * (dicomweb-access.service.ts).
 */
export const dicomwebModule: HttpModule = {
  name: 'dicomweb',
  register(app, deps) {
    app.use('/dicomweb', dicomwebRouter(deps));
  },
};

type Handler = (req: Request, res: Response, reader: Reader) => Promise<void>;

/**
 * The caller of one request, resolved only as far as the route needs: reads check a session
 * cookie with a prepared statement (the frame route inside its own), and fork an EntityManager
 * or run the viewer chain only when that does not settle it.
 */
export function readerOf(deps: AppDeps, readDeps: ReadDeps, req: { headers: IncomingHttpHeaders }): Reader {
  const cookies = parseCookies(req.headers.cookie);
  let em: EntityManager | undefined;
  let viewer: Promise<Viewer> | undefined;
  let scope: Promise<ReadScope> | undefined;
  const reader: Reader = {
    sessionTokenHash: sessionTokenHash(cookies[SESSION_COOKIE]),
    em: () => (em ??= deps.orm.em.fork() as EntityManager),
    viewer: () => (viewer ??= resolveViewer(reader.em(), deps, { cookies, authorization: req.headers.authorization }, { touch: true })),
    scope: () => (scope ??= resolveReadScope(reader)),
  };
  return reader;
}

function dicomwebRouter(deps: AppDeps): Router {
  const router = express.Router();
  const rootUrl = `${deps.config.publicUrl}/dicomweb/`;
  const frameDeps: FrameDeps = { statements: new PreparedStatements(deps.orm), storage: deps.storage, config: deps.config, readCache: readCacheOf(deps) };
  const pixelDeps: PixelDeps = { ...frameDeps, rootUrl };

  const handle =
    (handler: Handler) =>
    async (req: Request, res: Response): Promise<void> => {
      try {
        res.setHeader('Cache-Control', 'no-store');
        await handler(req, res, readerOf(deps, frameDeps, req));
      } catch (error) {
        sendError(deps, req, res, error);
      }
    };

  // --- STOW-RS
  const stow: Handler = async (req, res, reader) => {
    try {
      const viewer = await reader.viewer();
      const declared = Number(req.headers['content-length'] ?? 0);
      if (viewer.kind === 'facility' && declared > deps.config.maxStowBodyBytes) throw new DicomwebError(413, 'The request is larger than this server accepts');
      const outcome = await storeInstances(deps, frameDeps.statements, viewer, {
        contentType: req.headers['content-type'],
        // Not destroyed when parsing stops early: what is left is drained below.
        body: req.iterator({ destroyOnReturn: false }),
        ...(req.params.study !== undefined ? { targetStudyUid: String(req.params.study) } : {}),
      });
      res.status(outcome.status).type('application/dicom+json').send(JSON.stringify(outcome.body));
    } catch (error) {
      // A sender still writing reads no answer, only a reset: it gets its status once its body
      // is read (up to a bound), as PACS that stream a study in one request expect.
      await drainRequest(req);
      throw error;
    }
  };
  router.post('/studies', handle(stow));
  router.post('/studies/:study', handle(stow));

  // --- QIDO-RS: the six search routes.
  const searchRoute =
    (level: Level): Handler =>
    async (req, res, reader) => {
      negotiateJson(req.headers.accept);
      const path: SearchPath = {};
      if (req.params.study !== undefined) path.study = checkUid(req.params.study, 'StudyInstanceUID');
      if (req.params.series !== undefined) path.series = checkUid(req.params.series, 'SeriesInstanceUID');
      const result = await search(frameDeps, reader, level, path, req.query, rootUrl);
      if (result.truncated) res.setHeader('Warning', '299 e-mage: "There are additional results that can be requested"');
      sendJson(res, result.matches);
    };
  router.get('/studies', handle(searchRoute('study')));
  router.get('/series', handle(searchRoute('series')));
  router.get('/instances', handle(searchRoute('instance')));
  router.get('/studies/:study/series', handle(searchRoute('series')));
  router.get('/studies/:study/instances', handle(searchRoute('instance')));
  router.get('/studies/:study/series/:series/instances', handle(searchRoute('instance')));

  // --- WADO-RS retrieve and metadata
  const retrieve: Handler = async (req, res, reader) => {
    const ref = refOf(req);
    const instances = await instancesToRetrieve(reader.em(), await reader.scope(), ref);
    const representation = negotiateDicom(req.headers.accept, [...new Set(instances.map((i) => i.transferSyntaxUid))], ref.instance !== undefined);
    // Transcoded instances are made one at a time before the answer starts, so a failure is a status, not a cut body.
    const bodyOf = async (instance: StoredInstance): Promise<{ ts: string; body: Segment }> =>
      representation.transcode && instance.transferSyntaxUid !== EXPLICIT_LE
        ? { ts: EXPLICIT_LE, body: await transcodedInstance(pixelDeps, instance) }
        : { ts: instance.transferSyntaxUid, body: instanceSegment(instance) };
    if (!representation.multipart) {
      const [only] = instances;
      if (!only) throw new DicomwebError(404, 'Not found');
      const { body } = await bodyOf(only);
      res.status(200).type('application/dicom');
      await sendBody(res, deps.storage, [body]);
      return;
    }
    const parts = [];
    for (const instance of instances) {
      const { ts, body } = await bodyOf(instance);
      parts.push({ contentType: `application/dicom; transfer-syntax=${ts}`, body: [body] });
    }
    await sendMultipart(res, deps.storage, parts, 'application/dicom');
  };
  router.get('/studies/:study', handle(retrieve));
  router.get('/studies/:study/series/:series', handle(retrieve));
  router.get('/studies/:study/series/:series/instances/:instance', handle(retrieve));

  const metadata: Handler = async (req, res, reader) => {
    negotiateJson(req.headers.accept);
    const ref = refOf(req);
    const json = await metadataOf(reader.em(), await reader.scope(), ref, rootUrl);
    res.status(200).type('application/dicom+json').send(json);
  };
  router.get('/studies/:study/metadata', handle(metadata));
  router.get('/studies/:study/series/:series/metadata', handle(metadata));
  router.get('/studies/:study/series/:series/instances/:instance/metadata', handle(metadata));

  // The viewers' hot path: one request per image shown.
  router.get('/studies/:study/series/:series/instances/:instance/frames/:frames', handle(async (req, res, reader) => {
    const ref = instanceRefOf(req);
    const numbers = parseFrameList(String(req.params.frames));
    const frames = await framesOf(frameDeps, reader, ref, numbers);
    const representation = negotiateFrames(req.headers.accept, frames.transferSyntaxUid, frames.count, canDecodeSyntax(frames.transferSyntaxUid));
    if (representation.transcode) {
      const decoded = await transcodedFrames(pixelDeps, reader, ref, numbers);
      await sendParts(res, deps, decoded.map((f) => [f]), representation);
      return;
    }
    await sendFrames(res, deps, frames, representation);
  }));

  router.get('/studies/:study/series/:series/instances/:instance/bulkdata/*path', handle(async (req, res, reader) => {
    const ref = instanceRefOf(req);
    const segments = req.params.path as unknown as string[] | string;
    const bulk = await bulkDataOf(frameDeps, reader, ref, Array.isArray(segments) ? segments.join('/') : segments);
    if (bulk.kind === 'frames') {
      const representation = negotiateFrames(req.headers.accept, bulk.frames.transferSyntaxUid, bulk.frames.count, canDecodeSyntax(bulk.frames.transferSyntaxUid));
      if (representation.transcode) {
        const decoded = await transcodedFrames(pixelDeps, reader, ref, undefined);
        await sendParts(res, deps, decoded.map((f) => [f]), representation);
        return;
      }
      await sendFrames(res, deps, bulk.frames, representation);
      return;
    }
    const representation = negotiateFrames(req.headers.accept, '1.2.840.10008.1.2.1', 1);
    if (!representation.partContentType.startsWith('application/octet-stream')) throw notAcceptable('Bulk data is application/octet-stream');
    const value = await bulk.read();
    await sendParts(res, deps, [[value]], { ...representation, partContentType: 'application/octet-stream', rootType: 'application/octet-stream' });
  }));

  // --- WADO-URI (PS3.18 9): one instance as application/dicom.
  router.get('/wado', handle(async (req, res, reader) => {
    const q = req.query;
    if (q.requestType !== 'WADO') throw badRequest('requestType=WADO is required');
    const ref = {
      study: checkUid(q.studyUID, 'studyUID'),
      series: checkUid(q.seriesUID, 'seriesUID'),
      instance: checkUid(q.objectUID, 'objectUID'),
    };
    if (q.contentType !== undefined && typeof q.contentType !== 'string') throw badRequest('contentType must be given once');
    if (q.transferSyntax !== undefined && typeof q.transferSyntax !== 'string') throw badRequest('transferSyntax must be given once');
    const [instance] = await instancesToRetrieve(reader.em(), await reader.scope(), ref);
    if (!instance) throw new DicomwebError(404, 'Not found');
    // PS3.18 9.1.2.1: image/jpeg unless the client names another type.
    const types = (q.contentType ?? 'image/jpeg').split(',').map((t) => t.trim().toLowerCase());
    const image = types.find((t): t is ImageFormat => t === 'image/jpeg' || t === 'image/png');
    if (image && !types.includes('application/dicom')) {
      const params = wadoUriRenderParameters(q, image);
      const frame = q.frameNumber === undefined ? 1 : Number(q.frameNumber);
      if (!Number.isInteger(frame) || frame < 1) throw badRequest('frameNumber must be a positive integer');
      res.status(200).type(image).send(await renderedFrame(pixelDeps, reader, ref, frame, params));
      return;
    }
    if (!types.includes('application/dicom') && !types.includes('*/*')) throw notAcceptable('contentType may be image/jpeg, image/png or application/dicom');
    let body: Segment = instanceSegment(instance);
    if (q.transferSyntax !== undefined && q.transferSyntax !== instance.transferSyntaxUid) {
      if (q.transferSyntax !== EXPLICIT_LE) throw notAcceptable('The instance is sent as stored or in Explicit VR Little Endian (1.2.840.10008.1.2.1)');
      body = await transcodedInstance(pixelDeps, instance);
    }
    res.status(200).type('application/dicom');
    await sendBody(res, deps.storage, [body]);
  }));

  registerPixelRoutes(router, handle, pixelDeps, (res, bodies, representation) => sendParts(res, deps, bodies, representation));

  router.use(handle(async () => {
    throw new DicomwebError(404, 'Not found');
  }));
  return router;
}

function refOf(req: Request): ResourceRef {
  const ref: ResourceRef = { study: checkUid(req.params.study, 'StudyInstanceUID') };
  if (req.params.series !== undefined) ref.series = checkUid(req.params.series, 'SeriesInstanceUID');
  if (req.params.instance !== undefined) ref.instance = checkUid(req.params.instance, 'SOPInstanceUID');
  return ref;
}

function instanceRefOf(req: Request): Required<ResourceRef> {
  return {
    study: checkUid(req.params.study, 'StudyInstanceUID'),
    series: checkUid(req.params.series, 'SeriesInstanceUID'),
    instance: checkUid(req.params.instance, 'SOPInstanceUID'),
  };
}

async function sendFrames(res: Response, deps: AppDeps, frames: Frames, representation: FrameRepresentation): Promise<void> {
  await sendParts(res, deps, await frames.read(), representation);
}

/** Frames or bulk data: one part, or multipart/related when the client asked for it. */
async function sendParts(res: Response, deps: AppDeps, bodies: Segment[][], representation: FrameRepresentation): Promise<void> {
  if (!representation.multipart) {
    res.status(200).setHeader('Content-Type', representation.partContentType);
    await sendBody(res, deps.storage, bodies[0] ?? []);
    return;
  }
  await sendMultipart(res, deps.storage, bodies.map((body) => ({ contentType: representation.partContentType, body })), representation.rootType);
}

/** What is read of a refused upload before answering: a bound in bytes and in time. */
const DRAIN_MAX_BYTES = 64 * 1024 * 1024;
const DRAIN_MAX_MS = 30_000;

/** Reads and discards the rest of a request body, up to the bounds. */
function drainRequest(req: Request): Promise<void> {
  if (req.complete || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let read = 0;
    const done = (): void => {
      clearTimeout(timer);
      req.off('data', onData).off('end', done).off('error', done).off('close', done);
      req.pause();
      resolve();
    };
    const onData = (chunk: Buffer): void => {
      read += chunk.length;
      if (read > DRAIN_MAX_BYTES) done();
    };
    const timer = setTimeout(done, DRAIN_MAX_MS);
    req.on('data', onData).on('end', done).on('error', done).on('close', done);
    req.resume();
  });
}

/**
 * A QIDO-RS answer, written straight to the response: Express's send would hash the body for an
 * ETag that no client can use on a `no-store` answer.
 */
function sendJson(res: Response, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/dicom+json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

function sendError(deps: AppDeps, req: Request, res: Response, error: unknown): void {
  if (res.headersSent) {
    // A stream broke midway (client gone, file unreadable): the client sees a truncated body.
    if (!(error instanceof Error && 'code' in error && error.code === 'ERR_STREAM_PREMATURE_CLOSE')) {
      deps.logger.warn({ err: { name: error instanceof Error ? error.name : typeof error } }, 'DICOMweb response aborted');
    }
    res.destroy();
    return;
  }
  if (error instanceof DicomwebError) {
    // The rest of an upload past the drain's bound: not read, the connection closes after the answer.
    if (req.method === 'POST' && !req.complete) res.setHeader('Connection', 'close');
    res.status(error.status).json({ error: error.message });
    return;
  }
  if (isConnectionLost(error)) {
    res.setHeader('Retry-After', '1');
    res.status(503).json({ error: 'Service temporarily unavailable' });
    return;
  }
  // Name and code only: messages of storage and database errors carry file paths and values (UIDs).
  const code = error instanceof Error && 'code' in error ? String(error.code) : undefined;
  deps.logger.error({ err: { name: error instanceof Error ? error.name : typeof error, code } }, 'DICOMweb request failed');
  res.status(500).json({ error: 'Internal server error' });
}
