import { describe, expect, it } from 'vitest';
import { dicomwebRequestFinished, dicomwebRequestStarted, registry } from './metrics.js';

/** The exported lines of the series a 200 frame answer counts in. */
async function frameLines(): Promise<string[]> {
  const text = await registry.metrics();
  return text
    .split('\n')
    .filter(
      (l) =>
        l.startsWith('emage_http_request_duration_seconds') && l.includes('route="dicomweb",method="GET",status="2xx"') ||
        l.startsWith('emage_dicomweb_request_duration_seconds') && l.includes('route="frames",status="2xx"') ||
        /^emage_dicomweb_(response|request)_bytes_total\{route="frames"\}/.test(l),
    );
}

/** Empties the four series (only these: other files of the worker share the registry, ADR 0144). */
function resetFrameSeries(): void {
  for (const name of ['emage_http_request_duration_seconds', 'emage_dicomweb_request_duration_seconds', 'emage_dicomweb_response_bytes_total', 'emage_dicomweb_request_bytes_total']) {
    registry.getSingleMetric(name)!.reset();
  }
}

const value = (lines: string[], prefix: string): number => Number(lines.find((l) => l.startsWith(prefix))?.split(' ').pop() ?? 0);

/** A request of `ms` milliseconds on `socket`, `sent` body bytes. */
function finish(socket: { bytesRead: number }, ms: number, sent: number): void {
  const readAtStart = dicomwebRequestStarted(socket);
  socket.bytesRead += 300;
  dicomwebRequestFinished('frames', socket, readAtStart, process.hrtime.bigint() - BigInt(Math.round(ms * 1e6)), sent);
}

describe('frame request metrics (the fast path, issue 22)', () => {
  it("count, sum, buckets and bytes as Express's httpMetrics records them, also after a reset of the registry", async () => {
    resetFrameSeries();
    const socket = { bytesRead: 0 };
    finish(socket, 3, 1000);
    finish(socket, 40, 500);
    let lines = await frameLines();
    for (const [series, labels] of [
      ['emage_http_request_duration_seconds', 'route="dicomweb",method="GET",status="2xx"'],
      ['emage_dicomweb_request_duration_seconds', 'route="frames",status="2xx"'],
    ] as const) {
      expect(value(lines, `${series}_count{${labels}}`), series).toBe(2);
      expect(value(lines, `${series}_sum{${labels}}`), series).toBeGreaterThanOrEqual(0.043);
      expect(value(lines, `${series}_sum{${labels}}`), series).toBeLessThan(0.2);
      expect(value(lines, `${series}_bucket{le="0.005",${labels}}`), series).toBe(1);
      expect(value(lines, `${series}_bucket{le="0.025",${labels}}`), series).toBe(1);
      expect(value(lines, `${series}_bucket{le="0.05",${labels}}`), series).toBe(2);
      expect(value(lines, `${series}_bucket{le="+Inf",${labels}}`), series).toBe(2);
    }
    expect(value(lines, 'emage_dicomweb_response_bytes_total{route="frames"}')).toBe(1500);
    expect(value(lines, 'emage_dicomweb_request_bytes_total{route="frames"}')).toBe(600);

    // A reset (tests, or an operator's tooling) empties the series; counting goes on from zero.
    resetFrameSeries();
    finish(socket, 1, 10);
    lines = await frameLines();
    expect(value(lines, 'emage_dicomweb_request_duration_seconds_count{route="frames",status="2xx"}')).toBe(1);
    expect(value(lines, 'emage_http_request_duration_seconds_bucket{le="0.005",route="dicomweb",method="GET",status="2xx"}')).toBe(1);
    expect(value(lines, 'emage_dicomweb_response_bytes_total{route="frames"}')).toBe(10);
    expect(value(lines, 'emage_dicomweb_request_bytes_total{route="frames"}')).toBe(300);
  });
});
