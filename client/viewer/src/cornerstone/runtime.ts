import * as cornerstone from 'cornerstone-core';
import dicomParser from 'dicom-parser';
import cornerstoneWADOImageLoader from 'cornerstone-wado-image-loader';
import { FRAME_ACCEPT } from '../dicomweb/client';
import { assertDrawable } from './decode-check';
import { decodesOnMainThread, decodeUncompressedFrame, type DecodeTaskData, type ImageFrame } from './main-thread-decode';

/**
 * Cornerstone 2 keeps its configuration, caches and worker pool in module globals, while a page
 * may mount, destroy and mount the viewer again (or, in a test page, mount two). This module owns
 * those globals: it wires them once, routes the loader's XHR hooks to the instance that owns the
 * URL, decodes uncompressed frames itself (main-thread-decode.ts), and starts the decode workers
 * when a study needs them / stops them on the last release.
 */
export interface RuntimeClient {
  /** True when this instance issued the request (its imageIds start with its DICOMweb root). */
  ownsUrl(url: string): boolean;
  requestHeaders(): Record<string, string>;
  trackXhr(xhr: XMLHttpRequest): void;
  untrackXhr(xhr: XMLHttpRequest): void;
}

const clients = new Set<RuntimeClient>();

/** A decoded frame createImage can turn into an image, else a rejection (decode-check.ts). */
function drawable(frame: ImageFrame): ImageFrame {
  assertDrawable(frame);
  return frame;
}
let wired = false;

function clientFor(url: string): RuntimeClient | undefined {
  for (const c of clients) if (c.ownsUrl(url)) return c;
  return undefined;
}

/** Cache budget by device class: phones get little, workstations enough for a few CT series. */
function cacheBudgetBytes(): number {
  const gb = (navigator as Navigator & { deviceMemory?: number }).deviceMemory;
  if (gb !== undefined && gb <= 2) return 128 * 1024 * 1024;
  if (gb !== undefined && gb <= 4) return 256 * 1024 * 1024;
  return 512 * 1024 * 1024;
}

function wireOnce(): void {
  if (wired) return;
  wired = true;
  cornerstoneWADOImageLoader.external.cornerstone = cornerstone;
  cornerstoneWADOImageLoader.external.dicomParser = dicomParser;

  const xhrOwner = new WeakMap<XMLHttpRequest, RuntimeClient>();
  cornerstoneWADOImageLoader.configure({
    open(xhr, url) {
      xhr.open('GET', url, true);
      // Same origin in production; if a deployment ever splits origins, the cookie still goes.
      xhr.withCredentials = true;
      const owner = clientFor(url);
      if (owner) {
        xhrOwner.set(xhr, owner);
        owner.trackXhr(xhr);
      }
    },
    beforeSend(xhr) {
      // Replaces the loader's multipart-only Accept (see FRAME_ACCEPT).
      return { ...(xhrOwner.get(xhr)?.requestHeaders() ?? {}), Accept: FRAME_ACCEPT };
    },
    onloadend(event) {
      const xhr = event.target as XMLHttpRequest;
      xhrOwner.get(xhr)?.untrackXhr(xhr);
    },
    strict: false,
    decodeConfig: { convertFloatPixelDataToInt: true, use16BitDataType: false },
  });
  cornerstone.imageCache.setMaximumSizeBytes(cacheBudgetBytes());

  // The loader's decode step calls `webWorkerManager.addTask('decodeTask', …)` on this very
  // object: uncompressed frames are answered here, everything else goes to the workers.
  const manager = cornerstoneWADOImageLoader.webWorkerManager;
  const toWorkers = manager.addTask.bind(manager);
  manager.addTask = (taskType, data, priority, transferList) => {
    if (taskType !== 'decodeTask') return toWorkers(taskType, data, priority, transferList);
    if (decodesOnMainThread(data as DecodeTaskData)) {
      // The loader gives the bytes up (to a worker it would transfer them): decoded in place.
      const promise = new Promise<ImageFrame>((resolve) => resolve(decodeUncompressedFrame(data as DecodeTaskData, { inPlace: true }))).then(drawable);
      return { taskId: -1, promise };
    }
    const task = toWorkers(taskType, data, priority, transferList);
    return { ...task, promise: (task.promise as Promise<ImageFrame>).then(drawable) };
  };
}

const WORKER_CONFIG = {
  // Two workers are enough for interactive scrolling and keep phones responsive; codecs load
  // lazily in the worker so a plain MR series never pays for the JPEG 2000 wasm.
  maxWebWorkers: Math.min(2, Math.max(1, navigator.hardwareConcurrency || 1)),
  taskConfiguration: { decodeTask: { initializeCodecsOnStartup: false, strict: false } },
};

export function cacheMaximumBytes(): number {
  return cornerstone.imageCache.getCacheInfo().maximumSizeInBytes;
}

export function acquireRuntime(client: RuntimeClient): void {
  wireOnce();
  // No worker yet: a compressed frame arriving unannounced would start them on demand.
  if (clients.size === 0) cornerstoneWADOImageLoader.webWorkerManager.initialize({ ...WORKER_CONFIG, startWebWorkersOnDemand: true });
  clients.add(client);
}

/**
 * Starts the decode workers now, for a study whose metadata announces compressed frames: they
 * load and compile their script while the first frame is on the wire, not after it arrived.
 */
export function startDecodeWorkers(): void {
  if (workerCount() === 0) cornerstoneWADOImageLoader.webWorkerManager.initialize({ ...WORKER_CONFIG, startWebWorkersOnDemand: false });
}

export function releaseRuntime(client: RuntimeClient): void {
  if (!clients.delete(client)) return;
  if (clients.size === 0) cornerstoneWADOImageLoader.webWorkerManager.terminate();
}

function workerCount(): number {
  try {
    return cornerstoneWADOImageLoader.webWorkerManager.getStatistics().numWebWorkers;
  } catch {
    return 0;
  }
}

export { cornerstone, cornerstoneWADOImageLoader };
