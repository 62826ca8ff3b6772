// Shared by bench:dicomweb and bench:dicomweb-profile: a raw keep-alive GET client, a POST of a
// body already in memory, and the CPU readings of a process and of the embedded PostgreSQL, from /proc.
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';

/**
 * One POST of a body already in memory, written in one go with node:http on a connection of its
 * own (fetch spent 6-7 ms of the bench's own CPU per 512 kB instance, inside the timed window, on
 * both servers alike); sent again once if the server closed the connection before any answer
 * (EPIPE, ECONNRESET: the request was never read; STOW is idempotent). Resolves { status, text }.
 */
export function postRaw(url, headers, body, retried = false) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', (error) => (!retried && ['EPIPE', 'ECONNRESET'].includes(error.code) ? postRaw(url, headers, body, true).then(resolve, reject) : reject(error)));
    req.end(body);
  });
}

/**
 * The load client: keep-alive GETs over raw sockets, reading each response's status line and
 * Content-Length and skipping the body unparsed. A full HTTP client (autocannon, node:http)
 * spent more CPU per 512 kB response than the server did (first runs of this bench), and client
 * and server share the same two cores. Responses must carry a Content-Length (they all do).
 */
export class Connection {
  constructor(port) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.setNoDelay(true);
    this.pending = null;
    this.head = Buffer.alloc(0);
    this.bodyLeft = -1;
    this.socket.on('data', (chunk) => this.onData(chunk));
    this.socket.on('error', (error) => this.pending?.reject(error));
    this.socket.on('close', () => this.pending?.reject(new Error('connection closed')));
  }

  get(path, headers) {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject, status: 0, bytes: 0 };
      this.head = Buffer.alloc(0);
      this.bodyLeft = -1;
      const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      this.socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${lines}\r\n`);
    });
  }

  onData(chunk) {
    const p = this.pending;
    if (!p) return;
    let body = chunk;
    if (this.bodyLeft < 0) {
      this.head = this.head.length ? Buffer.concat([this.head, chunk]) : chunk;
      const end = this.head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.head.subarray(0, end).toString('latin1');
      const length = /\r\ncontent-length: *(\d+)/i.exec(head);
      if (!length) return p.reject(new Error(`no Content-Length in ${head.split('\r\n')[0]}`));
      p.status = Number(head.slice(9, 12));
      this.bodyLeft = Number(length[1]);
      body = this.head.subarray(end + 4);
    }
    this.bodyLeft -= body.length;
    p.bytes += body.length;
    if (this.bodyLeft <= 0) {
      this.pending = null;
      p.resolve({ status: p.status, bytes: p.bytes });
    }
  }

  close() {
    this.socket.destroy();
  }
}

const TICK_MS = 10; // USER_HZ = 100 on Linux
/** user + system CPU of a process (and, with `children`, of its waited-for children), in ms. */
export function cpuMsOf(pid, children = false) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0)) * TICK_MS;
}

/** CPU of the embedded PostgreSQL under `dataDir`: the postmaster (with its ended children) and its live backends. */
export function postgresCpuMs(dataDir) {
  const procs = [];
  let postmaster;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ');
      procs.push({ pid: Number(entry), ppid: Number(stat[1]) });
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dataDir)) postmaster ??= Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  if (postmaster === undefined) return 0;
  let ms = cpuMsOf(postmaster, true);
  for (const p of procs) if (p.ppid === postmaster) ms += (() => { try { return cpuMsOf(p.pid); } catch { return 0; } })();
  return ms;
}
