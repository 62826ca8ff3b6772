import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { CorruptPixelsError, UnsupportedPixelsError } from './decode.js';
import { runPixelTask, type PixelResult, type PixelTask } from './pixel-tasks.js';

export class PixelPoolBusyError extends Error {
  override name = 'PixelPoolBusyError';
}

interface Pending {
  task: PixelTask;
  resolve(result: PixelResult): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  busy: { id: number; pending: Pending; timer: NodeJS.Timeout } | undefined;
}

const ERRORS: Record<string, new (message: string) => Error> = { UnsupportedPixelsError, CorruptPixelsError };

/**
 * A few worker threads that decode and render frames, so a JPEG 2000 decode never blocks the
 * event loop that serves every other request. Memory stays bounded: at most `size` frames are
 * worked on at once and at most `maxQueue` wait; beyond that the caller is told to come back
 * (503). A task that runs past `timeoutMs` has its worker replaced.
 *
 * From the TypeScript sources (the test runner), workers cannot load the .ts files: tasks then
 * run in the calling thread, through the same code.
 */
export class PixelPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private readonly inProcess = import.meta.url.endsWith('.ts');

  constructor(
    private readonly size = Math.max(1, Math.min(4, os.availableParallelism() - 1)),
    private readonly maxQueue = 64,
    private readonly timeoutMs = 30_000,
  ) {}

  run(task: PixelTask): Promise<PixelResult> {
    if (this.inProcess) return runPixelTask(task);
    if (this.queue.length >= this.maxQueue) return Promise.reject(new PixelPoolBusyError('Too many images are being prepared; try again shortly'));
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve, reject });
      this.dispatch();
    });
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./pixel-worker.js', import.meta.url));
    worker.unref();
    const slot: Slot = { worker, busy: undefined };
    worker.on('message', (message: { id: number; result?: PixelResult; error?: { name: string; message: string } }) => {
      const busy = slot.busy;
      if (!busy || busy.id !== message.id) return;
      clearTimeout(busy.timer);
      slot.busy = undefined;
      if (message.result) busy.pending.resolve(message.result);
      else {
        const Ctor = ERRORS[message.error?.name ?? ''] ?? Error;
        busy.pending.reject(new Ctor(message.error?.message ?? 'pixel task failed'));
      }
      this.dispatch();
    });
    const fail = (err: Error) => {
      const busy = slot.busy;
      slot.busy = undefined;
      if (busy) {
        clearTimeout(busy.timer);
        busy.pending.reject(new CorruptPixelsError(`The image could not be prepared (${err.message})`));
      }
      this.slots.splice(this.slots.indexOf(slot), 1);
      this.dispatch();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (this.slots.includes(slot)) fail(new Error(`worker exited with code ${code}`));
    });
    this.slots.push(slot);
    return slot;
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const slot = this.slots.find((s) => !s.busy) ?? (this.slots.length < this.size ? this.spawn() : undefined);
      if (!slot) return;
      const pending = this.queue.shift()!;
      const id = this.nextId++;
      const timer = setTimeout(() => {
        // A decoder stuck on a hostile bitstream: its thread is replaced, the caller told.
        void slot.worker.terminate();
      }, this.timeoutMs);
      timer.unref();
      slot.busy = { id, pending, timer };
      slot.worker.ref();
      slot.worker.postMessage({ id, task: pending.task });
    }
    for (const s of this.slots) if (!s.busy) s.worker.unref();
  }

  async close(): Promise<void> {
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}
