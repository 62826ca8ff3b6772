/**
 * Debian's Orthanc with its DICOMweb plugin, as a real PACS on loopback: its own configuration in
 * a temporary directory (HTTP on a free port of 127.0.0.1, its DICOM listener off, no remote
 * access, storage in the same directory). Shared by the interoperability suite
 * (server/interop/support/orthanc.ts) and `bench:dicomweb`, which compares its reads with ours.
 * Nothing is installed here: CI's .ci/run installs `orthanc` and `orthanc-dicomweb`; a machine
 * without them fails with the package names.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const ORTHANC = '/usr/sbin/Orthanc';
export const DICOMWEB_PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';
/** How long Orthanc gets to stop after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 10_000;

/** A TCP port of 127.0.0.1 free at the time of asking. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts Orthanc and waits until its REST API answers. `servers` is the plugin's DicomWeb.Servers
 * (peers it may push to or read from).
 */
export async function startOrthanc(servers = {}) {
  for (const [file, pkg] of [[ORTHANC, 'orthanc'], [DICOMWEB_PLUGIN, 'orthanc-dicomweb']]) {
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
  const child = spawn(ORTHANC, [configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => (log = (log + d.toString()).slice(-4000)));
  const exited = new Promise((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;

  const request = (method, pathname, body) => {
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = http.request(`${url}${pathname}`, { method, headers: payload ? { 'content-length': payload.length } : {} }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
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

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    await fs.rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await request('GET', '/system');
      break;
    } catch (err) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        await exited;
        await fs.rm(dir, { recursive: true, force: true });
        throw new Error(`Orthanc did not start: ${err instanceof Error ? err.message : String(err)}\n${log}`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  return {
    url,
    port,
    pid: child.pid,
    async rest(method, pathname, body) {
      const out = await request(method, pathname, body);
      return out.length ? JSON.parse(out.toString('utf8')) : undefined;
    },
    raw: (pathname) => request('GET', pathname),
    stop,
  };
}
