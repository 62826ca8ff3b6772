import { runtimeConfig } from '@/app/runtime-config';
import { asViewerModule, type ViewerModule } from './viewer-contract';

export type { ViewerError, ViewerErrorCode, ViewerModule, ViewerOptions } from './viewer-contract';

let loading: Promise<ViewerModule> | undefined;

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
