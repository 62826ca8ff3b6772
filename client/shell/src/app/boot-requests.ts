import type { BootRequests } from '@/boot';

/**
 * Takes over a request the boot script (src/boot.ts) sent at page start, at most once: a later
 * caller (a retry, a second mount) asks the server itself.
 */
export function takeBootRequest<K extends keyof BootRequests>(key: K): BootRequests[K] | undefined {
  const boot = window.__emageBoot;
  if (!boot) return undefined;
  const request = boot[key];
  delete boot[key];
  return request;
}
