import sharp from 'sharp';
import type { RenderedImage } from './render.js';

export type ImageFormat = 'image/jpeg' | 'image/png';

export interface EncodeOptions {
  /** Fit into this box, keeping the aspect ratio (PS3.18 viewport). */
  viewport?: { width: number; height: number };
  /** JPEG quality, 1–100. */
  quality?: number;
}

/**
 * A rendered image as JPEG or PNG (lossless, for exact reading), resized first when a viewport
 * is asked. libvips does the work on libuv's thread pool, off the event loop.
 */
export async function encodeImage(image: RenderedImage, format: ImageFormat, options: EncodeOptions = {}): Promise<Buffer> {
  let pipeline = sharp(Buffer.from(image.pixels.buffer, image.pixels.byteOffset, image.pixels.byteLength), {
    raw: { width: image.width, height: image.height, channels: image.components },
  });
  // Grey stays one channel (libvips would otherwise write it as sRGB).
  if (image.components === 1) pipeline = pipeline.toColourspace('b-w');
  if (options.viewport) pipeline = pipeline.resize(options.viewport.width, options.viewport.height, { fit: 'inside', kernel: 'lanczos3' });
  return format === 'image/jpeg' ? pipeline.jpeg({ quality: options.quality ?? 90, chromaSubsampling: '4:4:4' }).toBuffer() : pipeline.png({ compressionLevel: 6 }).toBuffer();
}
