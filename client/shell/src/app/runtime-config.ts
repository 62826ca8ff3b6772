import { takeBootRequest } from './boot-requests';

/** Per-deployment settings served by the server at /api/config (never baked into the bundle). */
export interface RuntimeConfig {
  support: { label: string; phone: string; email: string };
  sessionIdleMinutes: number;
  shareTtlHours: number;
  viewerUrl: string;
  devMailbox: string | null;
  /** The login page offers « Se connecter avec Pro Santé Connect » (ADR 0123). */
  proSanteConnect: boolean;
}

let loaded: RuntimeConfig | undefined;
let loading: Promise<RuntimeConfig> | undefined;

/**
 * Asks the server once per page (or takes over the boot script's request); callers during the
 * request share it, and a failure may be retried.
 */
export function loadRuntimeConfig(): Promise<RuntimeConfig> {
  loading ??= ((takeBootRequest('config') as Promise<RuntimeConfig> | undefined) ??
    fetch('/api/config', { credentials: 'same-origin' }).then((res) => res.json() as Promise<RuntimeConfig>))
    .then(
      (config) => (loaded = config),
      (error: unknown) => {
        loading = undefined;
        throw error;
      },
    );
  return loading;
}

export function runtimeConfig(): RuntimeConfig {
  if (!loaded) throw new Error('Runtime configuration not loaded yet');
  return loaded;
}
