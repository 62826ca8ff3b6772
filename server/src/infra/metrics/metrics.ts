import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ApolloServerPlugin } from '@apollo/server';
import type { NextFunction, Request, Response } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Orm } from '../db/orm.js';
import type { Logger } from '../logger.js';
import { OperationLabels, dicomwebRouteLabel, httpRouteLabel, methodLabel, statusClass } from './routes.js';

/**
 * Prometheus metrics (ADR 0111). One registry per process, like the process metrics it holds;
 * served only by the separate listener of serveMetrics, never on the public port.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'emage_' });

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const httpDuration = new Histogram({
  name: 'emage_http_request_duration_seconds',
  help: 'HTTP requests by surface (never by raw path), method and status class',
  labelNames: ['route', 'method', 'status'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});
const graphqlDuration = new Histogram({
  name: 'emage_graphql_operation_duration_seconds',
  help: 'GraphQL operations over HTTP by operation name (bounded, see ADR 0111), type and outcome',
  labelNames: ['operation', 'type', 'outcome'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});
const dicomwebDuration = new Histogram({
  name: 'emage_dicomweb_request_duration_seconds',
  help: 'DICOMweb requests by route and status class',
  labelNames: ['route', 'status'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});
const dicomwebBytesSent = new Counter({
  name: 'emage_dicomweb_response_bytes_total',
  help: 'Body bytes sent by DICOMweb routes',
  labelNames: ['route'] as const,
  registers: [registry],
});
const dicomwebBytesReceived = new Counter({
  name: 'emage_dicomweb_request_bytes_total',
  help: 'Bytes received by DICOMweb routes (STOW bodies mostly), headers included',
  labelNames: ['route'] as const,
  registers: [registry],
});
/** Every failed sign-in, by why it failed (never by account). */
export const loginFailures = new Counter({
  name: 'emage_login_failures_total',
  help: 'Failed sign-ins: bad_credentials (wrong password, unknown or inactive account) or locked (refused by a running lock)',
  labelNames: ['reason'] as const,
  registers: [registry],
});
/** Failed sign-ins that left a lock standing, by its scope (this client, or the account for new clients). */
export const loginLocks = new Counter({
  name: 'emage_login_locks_total',
  help: 'Failed sign-ins after which a lock stands, by scope (CLIENT or NEW_CLIENTS)',
  labelNames: ['scope'] as const,
  registers: [registry],
});

export interface LiveStats {
  sockets: number;
  subscriptions: number;
}

/** What the gauges read at scrape time: the database (pool, outbox) and the live connections. */
export interface MetricsSource {
  orm: Orm;
  live(): LiveStats;
}

const sources = new Set<MetricsSource>();

/** Registers a running app's source; returns its removal (on close). */
export function addMetricsSource(source: MetricsSource): () => void {
  sources.add(source);
  return () => sources.delete(source);
}

new Gauge({
  name: 'emage_graphql_ws_connections',
  help: 'Open GraphQL WebSocket connections (signed-in users)',
  registers: [registry],
  collect() {
    this.set([...sources].reduce((n, s) => n + s.live().sockets, 0));
  },
});
new Gauge({
  name: 'emage_graphql_subscriptions',
  help: 'Active GraphQL subscriptions over WebSocket',
  registers: [registry],
  collect() {
    this.set([...sources].reduce((n, s) => n + s.live().subscriptions, 0));
  },
});

interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
}

function poolOf(orm: Orm): TarnPool | undefined {
  const knex = (orm.em.getConnection() as unknown as { getKnex(): { client: { pool?: TarnPool } } }).getKnex();
  return knex.client.pool;
}

new Gauge({
  name: 'emage_db_pool_connections',
  help: 'Database pool connections by state: used, free, pending (acquisitions waiting for one)',
  labelNames: ['state'] as const,
  registers: [registry],
  collect() {
    let used = 0;
    let free = 0;
    let pending = 0;
    for (const s of sources) {
      const pool = poolOf(s.orm);
      if (!pool) continue;
      used += pool.numUsed();
      free += pool.numFree();
      pending += pool.numPendingAcquires();
    }
    this.set({ state: 'used' }, used);
    this.set({ state: 'free' }, free);
    this.set({ state: 'pending' }, pending);
  },
});

/** A scrape waits this long for the outbox figures, then reports them as NaN (unknown). */
const OUTBOX_QUERY_MS = 2_000;

/**
 * One query for both outbox gauges per scrape, on the index of unsent rows. While the database
 * is unreachable they read NaN, not a stale or zero figure, and the rest of the scrape (the pool,
 * the process) still comes: that is when the operator needs it.
 */
let outboxScrape: Promise<{ depth: number; oldest: number }> | undefined;
function outboxNow(): Promise<{ depth: number; oldest: number }> {
  const [source] = sources;
  if (!source) return Promise.resolve({ depth: 0, oldest: 0 });
  const unknown = { depth: Number.NaN, oldest: Number.NaN };
  let timer: NodeJS.Timeout | undefined;
  outboxScrape ??= Promise.race([
    (source.orm.em.fork() as EntityManager)
      .execute<{ depth: number; oldest: number }[]>(
        `select count(*)::int as depth, coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as oldest
           from outbox_message where sent_at is null and failed_at is null`,
      )
      .then(([row]) => ({ depth: Number(row?.depth ?? 0), oldest: Number(row?.oldest ?? 0) }), () => unknown),
    new Promise<typeof unknown>((resolve) => (timer = setTimeout(() => resolve(unknown), OUTBOX_QUERY_MS))),
  ]).finally(() => {
    clearTimeout(timer);
    outboxScrape = undefined;
  });
  return outboxScrape;
}

new Gauge({
  name: 'emage_outbox_pending',
  help: 'Mails queued and not yet sent nor failed for good (all replicas: the outbox is shared)',
  registers: [registry],
  async collect() {
    this.set((await outboxNow()).depth);
  },
});
new Gauge({
  name: 'emage_outbox_oldest_pending_seconds',
  help: 'Age of the oldest mail not yet sent nor failed for good (0 when none)',
  registers: [registry],
  async collect() {
    this.set((await outboxNow()).oldest);
  },
});

/** Bytes a socket had read when its last response finished (HTTP/1.1 requests on a socket are sequential). */
const readMarks = new WeakMap<object, number>();

/** Latency of every HTTP request by surface; for /dicomweb also by route, with the bytes it moved. */
export function httpMetrics() {
  return (req: Request, res: Response, next: NextFunction): void => {
    const start = process.hrtime.bigint();
    const path = req.originalUrl;
    const route = httpRouteLabel(path);
    let sent = 0;
    // A keep-alive socket has often read this whole request (headers and a small body) before
    // any middleware runs, so the count starts where the socket's previous response ended.
    const socket = req.socket;
    const readAtStart = readMarks.get(socket) ?? 0;
    if (route === 'dicomweb') {
      const write = res.write.bind(res) as (...args: unknown[]) => boolean;
      const end = res.end.bind(res) as (...args: unknown[]) => Response;
      const count = (chunk: unknown, encoding?: unknown) => {
        if (typeof chunk === 'string') sent += Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
        else if (chunk instanceof Uint8Array) sent += chunk.byteLength;
      };
      res.write = ((chunk: unknown, ...rest: unknown[]) => {
        count(chunk, rest[0]);
        return write(chunk, ...rest);
      }) as Response['write'];
      res.end = ((chunk?: unknown, ...rest: unknown[]) => {
        if (typeof chunk !== 'function') count(chunk, rest[0]);
        return end(chunk, ...rest);
      }) as Response['end'];
    }
    res.on('finish', () => {
      const readNow = socket.bytesRead;
      readMarks.set(socket, readNow);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const status = statusClass(res.statusCode);
      httpDuration.observe({ route, method: methodLabel(req.method), status }, seconds);
      if (route === 'dicomweb') {
        const dw = dicomwebRouteLabel(req.method, path.replace(/^\/dicomweb/, ''));
        dicomwebDuration.observe({ route: dw, status }, seconds);
        dicomwebBytesSent.inc({ route: dw }, sent);
        dicomwebBytesReceived.inc({ route: dw }, Math.max(0, readNow - readAtStart));
      }
    });
    next();
  };
}

/**
 * What httpMetrics records for a GET of /dicomweb answered 200 by a fast path before Express
 * (dicomweb/frame-fast-path.ts: route `frames`; dicomweb/retrieve-fast-path.ts: `retrieve`): the
 * same series, the same values. `start` is process.hrtime.bigint() when the request reached the
 * server; `sent` the body's bytes. Call `dicomwebRequestStarted` first, then
 * `dicomwebRequestFinished` once the answer is written (its 'finish').
 */
export function dicomwebRequestStarted(socket: object): number {
  return readMarks.get(socket) ?? 0;
}

type FastRoute = 'frames' | 'retrieve';
const fastSeries = new Map<
  FastRoute,
  { http: ReturnType<typeof httpDuration.labels>; dicomweb: ReturnType<typeof dicomwebDuration.labels>; sent: ReturnType<typeof dicomwebBytesSent.labels>; received: ReturnType<typeof dicomwebBytesReceived.labels> }
>();

export function dicomwebRequestFinished(route: FastRoute, socket: { bytesRead: number }, readAtStart: number, start: bigint, sent: number): void {
  const readNow = socket.bytesRead;
  readMarks.set(socket, readNow);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  // Label children looked up once per route: the labels of its 200 answers never change.
  let series = fastSeries.get(route);
  if (!series) {
    series = {
      http: httpDuration.labels({ route: 'dicomweb', method: 'GET', status: '2xx' }),
      dicomweb: dicomwebDuration.labels({ route, status: '2xx' }),
      sent: dicomwebBytesSent.labels({ route }),
      received: dicomwebBytesReceived.labels({ route }),
    };
    fastSeries.set(route, series);
  }
  series.http.observe(seconds);
  series.dicomweb.observe(seconds);
  series.sent.inc(sent);
  series.received.inc(Math.max(0, readNow - readAtStart));
}

/** GraphQL latency per operation, from the request's start to its response being ready. */
export function graphqlMetricsPlugin(): ApolloServerPlugin {
  const labels = new OperationLabels();
  return {
    async requestDidStart() {
      const start = process.hrtime.bigint();
      return {
        async willSendResponse(rc) {
          const seconds = Number(process.hrtime.bigint() - start) / 1e9;
          const type = rc.operation?.operation ?? 'unknown';
          const operation = rc.operation ? labels.label(rc.operationName) : 'invalid';
          const body = rc.response.body;
          const failed = body.kind === 'single' && !!body.singleResult.errors?.length;
          graphqlDuration.observe({ operation, type, outcome: failed ? 'error' : 'ok' }, seconds);
        },
      };
    },
  };
}

/**
 * The metrics listener: its own port and address, GET /metrics only. It is started only when
 * METRICS_PORT is set, on loopback unless METRICS_HOST says otherwise (ADR 0111).
 */
export async function serveMetrics(host: string, port: number, logger: Logger): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' }).end(text),
      (err: unknown) => {
        logger.warn({ err }, 'metrics scrape failed');
        res.writeHead(503, { 'Content-Type': 'text/plain' }).end('Metrics unavailable\n');
      },
    );
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const graphqlSeries = new Map<number, ReturnType<typeof httpDuration.labels>>();

/**
 * What httpMetrics records for a POST of /graphql, for GraphQL's fast path that answers before
 * Express (graphql/graphql-fast-path.ts): the same series, the same values. Call once the answer
 * was written in full.
 */
export function graphqlRequestFinished(socket: { bytesRead: number }, start: bigint, statusCode: number): void {
  readMarks.set(socket, socket.bytesRead);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const statusKey = Math.floor(statusCode / 100);
  let series = graphqlSeries.get(statusKey);
  if (!series) graphqlSeries.set(statusKey, (series = httpDuration.labels({ route: 'graphql', method: 'POST', status: statusClass(statusCode) })));
  series.observe(seconds);
}
