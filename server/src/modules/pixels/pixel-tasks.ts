import { decodeFrame, type DecodedFrame } from './decode.js';
import type { PixelModule } from './pixel-module.js';
import { renderFrame, type RenderedImage, type RenderOptions } from './render.js';

/** The CPU-bound work on one frame, run in a worker thread (pixel-pool.ts). */
export type PixelTask =
  | { kind: 'decode'; transferSyntaxUid: string; frame: Uint8Array; pm: PixelModule }
  | { kind: 'render'; transferSyntaxUid: string; frame: Uint8Array; pm: PixelModule; options: RenderOptions };

export type PixelResult = { kind: 'decode'; frame: DecodedFrame } | { kind: 'render'; image: RenderedImage };

export async function runPixelTask(task: PixelTask): Promise<PixelResult> {
  const decoded = await decodeFrame(task.transferSyntaxUid, task.frame, task.pm);
  if (task.kind === 'decode') return { kind: 'decode', frame: decoded };
  return { kind: 'render', image: renderFrame(decoded, task.pm, task.options) };
}
