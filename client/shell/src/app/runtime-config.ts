/** Per-deployment settings served by the server at /api/config (never baked into the bundle). */
export interface RuntimeConfig {
  support: { label: string; phone: string; email: string };
  sessionIdleMinutes: number;
  shareTtlHours: number;
  viewerUrl: string;
  devMailbox: string | null;
}

let loaded: RuntimeConfig | undefined;

export async function loadRuntimeConfig(): Promise<RuntimeConfig> {
  if (!loaded) {
    const res = await fetch('/api/config', { credentials: 'same-origin' });
    loaded = (await res.json()) as RuntimeConfig;
  }
  return loaded;
}

export function runtimeConfig(): RuntimeConfig {
  if (!loaded) throw new Error('Runtime configuration not loaded yet');
  return loaded;
}
