import http from 'node:http';
import { freePort } from '../../src/infra/db/embedded-postgres.js';

/**
 * Debian's Orthanc with its DICOMweb plugin on loopback: the launcher is shared with
 * `bench:dicomweb`, which compares its reads with ours (bench/lib/orthanc.mjs).
 */
export { startOrthanc, type Orthanc, type OrthancDicomwebServer } from '../../../bench/lib/orthanc.mjs';

/** What a request to our server looked like on the wire, as a recording proxy saw it. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  bodyBytes: number;
}

/**
 * A loopback HTTP proxy in front of our server that records every request (method, headers,
 * body size) before passing it on unchanged, so a test can say how Orthanc spoke to us.
 */
export async function recordingProxy(target: string): Promise<{ url: string; seen: SeenRequest[]; close(): Promise<void> }> {
  const seen: SeenRequest[] = [];
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const record: SeenRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, bodyBytes: 0 };
    seen.push(record);
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.on('data', (c: Buffer) => (record.bodyBytes += c.length));
    req.pipe(out);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
