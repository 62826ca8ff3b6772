/**
 * Entry of viewer-engine.js, the viewer's Cornerstone bundle (vite.engine.config.ts): Cornerstone,
 * its WADO image loader and dicom-parser, with the viewer's code that calls them. viewer.js loads
 * it at run time (viewer/engine-loader.ts), after the first image of a plain grayscale series is
 * already drawn by viewer.js itself (viewer/preview.ts, docs/adr/0085-first-image-preview.md).
 */
import { cornerstone, cornerstoneWADOImageLoader } from './cornerstone/runtime';

export { acquireRuntime, cacheMaximumBytes, cornerstone, cornerstoneWADOImageLoader, releaseRuntime, startDecodeWorkers } from './cornerstone/runtime';
export { loadTools, registerEarlierElement, toolsReady } from './cornerstone/tools';
export { Prefetcher } from './viewer/prefetch';

/**
 * Gives Cornerstone a frame the viewer already fetched (the previewed one), as the image `imageId`
 * would load: decoded by the loader from those bytes, into the image cache, so that loading it
 * sends no second request. The metadata of `imageId` must be registered first.
 */
export function adoptFrame(imageId: string, pixelData: Uint8Array, transferSyntax: string): void {
  if (cornerstone.imageCache.getImageLoadObject(imageId)) return;
  const promise = cornerstoneWADOImageLoader.createImage(imageId, pixelData, transferSyntax, {});
  cornerstone.imageCache.putImageLoadObject(imageId, { promise });
}
