import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/infra/db/embedded-postgres.js';

/**
 * Debian's Orthanc with its DICOMweb plugin, as a real PACS on loopback: its own configuration in
 * a temporary directory (HTTP on a free port, its DICOM listener off, no remote access, storage
 * in the same directory). Nothing is installed here: CI's .ci/run installs `orthanc` and
 * `orthanc-dicomweb`; a machine without them fails with the package names.
 */
const ORTHANC = '/usr/sbin/Orthanc';
const DICOMWEB_PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';

/** One DicomWeb.Servers entry of Orthanc's configuration (the plugin's own keys). */
export interface OrthancDicomwebServer {
  Url: string;
  HttpHeaders?: Record<string, string>;
  ChunkedTransfers?: boolean;
  HasDelete?: boolean;
}

export interface Orthanc {
  url: string;
  /** Orthanc's REST API: JSON in, JSON (or bytes, with `raw`) out; throws on a status >= 400. */
  rest<T = unknown>(method: string, pathname: string, body?: unknown): Promise<T>;
  raw(pathname: string): Promise<Buffer>;
  stop(): Promise<void>;
}

export async function startOrthanc(servers: Record<string, OrthancDicomwebServer>): Promise<Orthanc> {
  for (const [file, pkg] of [[ORTHANC, 'orthanc'], [DICOMWEB_PLUGIN, 'orthanc-dicomweb']] as const) {
    if (!existsSync(file)) throw new Error(`${file} is missing: apt-get install ${pkg}`);
  }
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'emage-orthanc-'));
  const port = await freePort();
  const config = {
    Name: 'e-mage interop',
    StorageDirectory: path.join(dir, 'storage'),
    IndexDirectory: path.join(dir, 'storage'),
    HttpPort: port,
    HttpServerEnabled: true,
    DicomServerEnabled: false,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    HttpTimeout: 60,
    StableAge: 1,
    Plugins: [DICOMWEB_PLUGIN],
    DicomWeb: { Enable: true, Root: '/dicom-web/', Servers: servers },
  };
  const configFile = path.join(dir, 'orthanc.json');
  await fs.writeFile(configFile, JSON.stringify(config, null, 2));
  const child: ChildProcess = spawn(ORTHANC, [configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;

  const request = async (method: string, pathname: string, body?: unknown): Promise<Buffer> => {
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = http.request(`${url}${pathname}`, { method, headers: payload ? { 'content-length': payload.length } : {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const out = Buffer.concat(chunks);
          if ((res.statusCode ?? 500) >= 400) reject(new Error(`Orthanc ${method} ${pathname}: ${res.statusCode} ${out.toString('utf8').slice(0, 500)}`));
          else resolve(out);
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await request('GET', '/system');
      break;
    } catch (err) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`Orthanc did not start: ${err instanceof Error ? err.message : String(err)}\n${log}`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  return {
    url,
    async rest<T>(method: string, pathname: string, body?: unknown): Promise<T> {
      const out = await request(method, pathname, body);
      return (out.length ? JSON.parse(out.toString('utf8')) : undefined) as T;
    },
    raw: (pathname) => request('GET', pathname),
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

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
