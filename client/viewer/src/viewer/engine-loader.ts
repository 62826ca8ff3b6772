/** What viewer-engine.js exports (src/engine.ts). */
export type Engine = typeof import('../engine');

/** The Cornerstone bundle, built next to viewer.js by vite.engine.config.ts. */
export const ENGINE_FILE = 'viewer-engine.js';

let loading: Promise<Engine> | undefined;

function engineUrl(): string {
  return new URL(ENGINE_FILE, import.meta.url).href;
}

/**
 * Starts downloading (and compiling) the engine without running it: a module preload, sent when
 * a viewer mounts, so the bundle is on its way while the metadata and the first frame are.
 */
export function preloadEngine(): void {
  const href = engineUrl();
  if (loading || document.querySelector(`link[rel="modulepreload"][href="${CSS.escape(href)}"]`)) return;
  const link = document.createElement('link');
  link.rel = 'modulepreload';
  link.href = href;
  document.head.append(link);
}

/** Runs the engine (once per page; again after a failed attempt). */
export function loadEngine(): Promise<Engine> {
  loading ??= (import(/* @vite-ignore */ engineUrl()) as Promise<Engine>).catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}
