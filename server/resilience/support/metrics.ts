/** Reading the Prometheus text format the metrics listener serves, for assertions. */

export interface Scrape {
  text: string;
  /** The value of one sample, e.g. `emage_login_failures_total{reason="locked"}`; undefined when absent. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** Whether any sample of this metric family is present. */
  has(name: string): boolean;
}

function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => `${k}=${v}`).sort();
    samples.set(`${m[1]}|${labels.join(',')}`, Number(m[3]));
  }
  return samples;
}

export async function scrape(metricsUrl: string): Promise<Scrape> {
  const res = await fetch(`${metricsUrl}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  const text = await res.text();
  const samples = parse(text);
  return {
    text,
    value: (name, labels = {}) => samples.get(`${name}|${Object.entries(labels).map(([k, v]) => `${k}=${v}`).sort().join(',')}`),
    has: (name) => [...samples.keys()].some((k) => k.startsWith(`${name}|`) || k.startsWith(`${name}_bucket|`) || k.startsWith(`${name}_count|`)),
  };
}

/** Scrapes until `ok` holds (at most `timeoutMs`), returning the last scrape; the caller asserts on it. */
export async function scrapeUntil(metricsUrl: string, ok: (s: Scrape) => boolean, timeoutMs = 10_000): Promise<Scrape> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await scrape(metricsUrl);
    if (ok(s) || Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
}
