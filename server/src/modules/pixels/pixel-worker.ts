import { parentPort } from 'node:worker_threads';
import { runPixelTask, type PixelTask } from './pixel-tasks.js';

/** A worker thread of the pixel pool: decodes and renders frames off the event loop. */
parentPort?.on('message', (message: { id: number; task: PixelTask }) => {
  runPixelTask(message.task).then(
    (result) => {
      const bytes = result.kind === 'decode' ? result.frame.data : result.image.pixels;
      // The pixels move back to the main thread without a copy when they own their buffer.
      const transfer = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? [bytes.buffer as ArrayBuffer] : [];
      parentPort?.postMessage({ id: message.id, result }, transfer);
    },
    (err: unknown) => {
      parentPort?.postMessage({ id: message.id, error: { name: err instanceof Error ? err.name : 'Error', message: err instanceof Error ? err.message : String(err) } });
    },
  );
});
