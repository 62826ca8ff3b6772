import { runtimeConfig } from '@/app/runtime-config';
import type { ViewerModule } from './viewer-contract';

export type { ViewerError, ViewerErrorCode, ViewerModule, ViewerOptions } from './viewer-contract';

let loading: Promise<ViewerModule> | undefined;

/** What a bundle must export to be taken for the viewer. */
function asViewerModule(m: unknown): ViewerModule {
  if (typeof (m as Partial<ViewerModule> | null)?.mount !== 'function') throw new Error('viewer bundle without mount()');
  return m as ViewerModule;
}

/**
 * Imports the viewer bundle once per page (the same module the boot script may have imported);
 * a failed import may be retried.
 */
export function loadViewerModule(): Promise<ViewerModule> {
  loading ??= import(/* @vite-ignore */ runtimeConfig().viewerUrl).then(asViewerModule, (error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

/**
 * Starts importing the viewer bundle for a document page whose type may not be known yet: most
 * documents opened are images, so only a document known to be a report skips it.
 */
export function preloadViewerModule(documentType: string | undefined): void {
  if (documentType !== 'REPORT') void loadViewerModule().catch(() => undefined);
}
