import { cornerstone } from '../cornerstone/runtime';
import type { Image } from 'cornerstone-core';
import type { StackSeries } from '../dicomweb/studyModel';

export interface PrefetchListener {
  onProgress(seriesIndex: number, done: number, total: number): void;
  onFrameFailed(seriesIndex: number, frameIndex: number, error: unknown): void;
}

interface Job {
  series: number;
  frame: number;
}

/**
 * Background loading of whole series through Cornerstone's retrieval pool ("prefetch" lane, so an
 * interactive request always overtakes it). The active series goes first, nearest frames first;
 * the other series follow while the decoded images still fit in a share of the image cache, so
 * prefetching never evicts what the user is looking at.
 */
export class Prefetcher {
  private queue: Job[] = [];
  private inFlight = 0;
  private stopped = false;
  private bytes = 0;
  private activeSeries = 0;
  private readonly done: Array<Set<number>>;

  constructor(
    private readonly series: StackSeries[],
    private readonly listener: PrefetchListener,
    private readonly budgetBytes: number,
    private readonly concurrency = 4,
    private readonly isComplete: (image: Image) => boolean = () => true,
  ) {
    this.done = series.map(() => new Set<number>());
  }

  /** Series appended to the list (a prior exam opened for comparison) are loaded too, after the others. */
  grow(): void {
    while (this.done.length < this.series.length) this.done.push(new Set<number>());
  }

  progress(seriesIndex: number): { done: number; total: number } {
    return { done: this.done[seriesIndex]?.size ?? 0, total: this.series[seriesIndex]?.frames.length ?? 0 };
  }

  /** Marks a frame as settled when the viewport loaded it first. */
  markDone(seriesIndex: number, frameIndex: number): void {
    const set = this.done[seriesIndex];
    if (!set || set.has(frameIndex)) return;
    set.add(frameIndex);
    this.listener.onProgress(seriesIndex, set.size, this.series[seriesIndex]?.frames.length ?? 0);
  }

  /** Reorders the queue around what the user looks at now. */
  focus(seriesIndex: number, frameIndex: number): void {
    this.activeSeries = seriesIndex;
    const jobs: Job[] = [];
    const active = this.series[seriesIndex];
    if (active) {
      const n = active.frames.length;
      for (let d = 0; d < n; d++) {
        for (const f of d === 0 ? [frameIndex] : [frameIndex + d, frameIndex - d]) {
          if (f >= 0 && f < n && !this.done[seriesIndex]?.has(f)) jobs.push({ series: seriesIndex, frame: f });
        }
      }
    }
    this.series.forEach((s, si) => {
      if (si === seriesIndex) return;
      s.frames.forEach((_, fi) => {
        if (!this.done[si]?.has(fi)) jobs.push({ series: si, frame: fi });
      });
    });
    this.queue = jobs;
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    this.queue = [];
  }

  private pump(): void {
    while (!this.stopped && this.inFlight < this.concurrency && this.queue.length > 0) {
      const job = this.queue.shift();
      if (!job) break;
      const set = this.done[job.series];
      const frame = this.series[job.series]?.frames[job.frame];
      if (!set || !frame || set.has(job.frame)) continue;
      // Past the budget only the active series keeps loading, so prefetching other series never
      // pushes the frames the user is scrolling through out of the cache.
      if (job.series !== this.activeSeries && this.bytes > this.budgetBytes) {
        this.queue = this.queue.filter((j) => j.series === this.activeSeries);
        continue;
      }
      this.inFlight++;
      cornerstone
        .loadAndCacheImage(frame.imageId, { requestType: 'prefetch', priority: 0 })
        .then(
          (image) => {
            if (this.stopped) return;
            this.bytes += image.sizeInBytes || 0;
            this.markDone(job.series, job.frame);
            if (!this.isComplete(image)) this.listener.onFrameFailed(job.series, job.frame, new Error('incomplete frame'));
          },
          (error: unknown) => {
            if (this.stopped) return;
            this.markDone(job.series, job.frame);
            this.listener.onFrameFailed(job.series, job.frame, error);
          },
        )
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }
}
