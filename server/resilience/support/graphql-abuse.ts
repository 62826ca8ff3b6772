import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { WebSocket } from 'ws';

/** What a hostile client sends to /graphql, over HTTP or over the socket (loopback only). */

export interface Answer {
  status: number;
  code: string | undefined;
  ms: number;
}

/** HTTP from a chosen loopback address: 127.0.0.2, .3, … are other clients, each with its own budget. */
export function httpClient(baseUrl: string, localAddress: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1, localAddress });
  return {
    /** `payload` is the JSON body, serialised once by the caller: the loop measures the server, not JSON.stringify. */
    post(payload: string, cookie?: string): Promise<Answer> {
      const start = performance.now();
      return new Promise((resolve, reject) => {
        const req = http.request(
          `${baseUrl}/graphql`,
          { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...(cookie ? { cookie } : {}) }, timeout: 30_000 },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (text += c));
            res.on('end', () => {
              let code: string | undefined;
              try {
                code = (JSON.parse(text) as { errors?: Array<{ extensions?: { code?: string } }> }).errors?.[0]?.extensions?.code;
              } catch {
                code = undefined;
              }
              resolve({ status: res.statusCode ?? 0, code, ms: performance.now() - start });
            });
          },
        );
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', reject);
        req.end(payload);
      });
    },
    close: () => agent.destroy(),
  };
}

export interface SocketAnswer {
  /** The error code of the refusal, 'data' for an answer, or the close code. */
  outcome: string;
  ms: number;
}

/**
 * A graphql-transport-ws connection spoken by hand, so a test controls every message: resolves
 * once acknowledged; `send` resolves with the server's answer to one operation (or the close).
 */
export async function rawSocket(baseUrl: string, cookie: string): Promise<{ send(query: string): Promise<SocketAnswer>; closed: () => boolean; close(): void }> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws', { headers: { cookie }, origin: baseUrl });
  let closeCode: number | undefined;
  const waiting = new Map<string, (a: string) => void>();
  ws.on('close', (code) => {
    closeCode = code;
    for (const w of waiting.values()) w(String(code));
    waiting.clear();
  });
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => ws.send(JSON.stringify({ type: 'connection_init' })));
    ws.once('close', (code) => reject(new Error(`socket closed before acknowledgement (${code})`)));
    ws.on('message', (raw: Buffer) => {
      const msg = JSON.parse(raw.toString()) as { type: string; id?: string; payload?: Array<{ extensions?: { code?: string } }> };
      if (msg.type === 'connection_ack') resolve();
      else if (msg.type === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
      else if (msg.id && waiting.has(msg.id)) {
        const answer = msg.type === 'error' ? (msg.payload?.[0]?.extensions?.code ?? 'error') : msg.type === 'next' ? 'data' : msg.type;
        waiting.get(msg.id)?.(answer);
        waiting.delete(msg.id);
      }
    });
  });
  let next = 0;
  return {
    send(query) {
      const id = String(++next);
      const start = performance.now();
      return new Promise((resolve) => {
        if (closeCode !== undefined) return resolve({ outcome: String(closeCode), ms: 0 });
        waiting.set(id, (outcome) => resolve({ outcome, ms: performance.now() - start }));
        ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query } }));
      });
    },
    closed: () => closeCode !== undefined,
    close: () => ws.close(),
  };
}

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux). */
export function processCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces), from field 3 on.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * GET /healthz every 10 ms from a process of its own, as an orchestrator's probe would: the
 * latencies measure the server, not the event loop of the test that is busy sending the abuse.
 */
export function probeHealth(baseUrl: string, maxProbes = 2_000): { latencies: number[]; stop(): Promise<number[]> } {
  const script = `
    const http = require('node:http');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let stopping = false;
    process.stdin.on('data', () => (stopping = true));
    (async () => {
      for (let i = 0; !stopping && i < ${maxProbes}; i++) {
        const start = performance.now();
        await new Promise((resolve, reject) => {
          http.get(process.argv[1] + '/healthz', { agent, timeout: 10000 }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject);
        });
        process.stdout.write((performance.now() - start).toFixed(2) + '\\n');
        await new Promise((r) => setTimeout(r, 10));
      }
      agent.destroy();
      process.exit(0);
    })();
  `;
  const child = spawn(process.execPath, ['-e', script, baseUrl], { stdio: ['pipe', 'pipe', 'inherit'] });
  const latencies: number[] = [];
  let rest = '';
  child.stdout.on('data', (d: Buffer) => {
    const lines = (rest + d.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) latencies.push(Number(line));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    latencies,
    async stop() {
      child.stdin.write('stop\n');
      await exited;
      return latencies;
    },
  };
}

/** Resolves once `probe` has measured `count` latencies, or after `timeoutMs`. */
export async function measured(probe: { latencies: number[] }, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (probe.latencies.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}
