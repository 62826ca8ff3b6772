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

/**
 * The boot script's metadata request for this study, if it made one for the viewer's DICOMweb
 * root: given to the viewer (ViewerOptions.metadata), which asks itself if it failed.
 */
export function takeBootMetadata(studyUid: string, dicomwebRoot: string): Promise<unknown> | undefined {
  const request = takeBootRequest('metadata');
  if (!request) return undefined;
  const instances = request.then((m) =>
    m.studyUid === studyUid && m.dicomwebRoot === dicomwebRoot ? m.instances : Promise.reject(new Error('another study')),
  );
  instances.catch(() => undefined); // the viewer handles a failure by asking itself
  return instances;
}
