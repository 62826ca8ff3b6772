import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { GraphQLSchema } from 'graphql';
import type { AppDeps } from './app-deps.js';
import type { Context } from './graphql/context.js';
import { formatError } from './graphql/format-error.js';
import { graphqlBody, limitsPlugin } from './graphql/graphql-http.js';
import { graphqlFastPath } from './graphql/graphql-fast-path.js';
import { graphqlHttpContext, httpContextMaker } from './graphql/http-context.js';
import { MAX_TOKENS, MAX_VALIDATION_ERRORS } from './graphql/limits.js';
import { graphqlBudget } from './graphql/request-budget.js';
import { createSchema } from './graphql/schema.js';
import { attachGraphqlWebSocket } from './graphql/ws-server.js';
import { addViewerResolver } from './graphql/viewer.js';
import { isConnectionLost } from './infra/db/connection-loss.js';
import { trustOf } from './infra/http/client-address.js';
import { trackRequest } from './infra/http/request-tracking.js';
import { securityHeaders } from './infra/http/security-headers.js';
import { httpModules } from './infra/http/modules.js';
import { graphqlSpans, httpSpans, tracingOn } from './infra/tracing.js';
import { addMetricsSource, graphqlMetricsPlugin, httpMetrics, serveMetrics } from './infra/metrics/metrics.js';
import { apiKeyViewerResolver } from './modules/facility/facility.service.js';
import { frameFastPath } from './modules/dicomweb/frame-fast-path.js';
import { retrieveFastPath } from './modules/dicomweb/retrieve-fast-path.js';

export interface RunningApp {
  app: Express;
  server: http.Server;
  schema: GraphQLSchema;
  url: string;
  /** The metrics listener's port, when METRICS_PORT opened one. */
  metricsPort: number | undefined;
  close(): Promise<void>;
}

export async function createApp(deps: AppDeps): Promise<RunningApp> {
  const { config, orm, logger } = deps;
  addViewerResolver(apiKeyViewerResolver);
  const schema = await createSchema(deps.pubsub);

  const app = express();
  app.disable('x-powered-by');
  // req.ip, should anything read it, follows the same trust as clientAddress.
  app.set('trust proxy', trustOf(config));
  if (tracingOn()) app.use(httpSpans());
  app.use(securityHeaders(config));
  app.use(httpMetrics());
  // While draining (ADR 0112), each answer closes its connection: the client's next request
  // opens a new one, which reaches another replica.
  let draining = false;
  let stopping = false;
  const inFlight = new Set<http.ServerResponse>();
  // In-flight tracking and the request log (trackRequest, shared with GraphQL's fast path).
  app.use((req, res, next) => {
    const start = process.hrtime.bigint();
    if (draining) res.setHeader('Connection', 'close');
    trackRequest(req, res, { draining: () => draining, inFlight }, logger, start);
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      // Stopping (ADR 0116): the balancer takes this replica out while it still serves.
      if (stopping) throw new Error('stopping');
      await orm.em.fork().getConnection().execute('select 1');
      // Without LISTEN this replica would serve pages whose live notifications never come.
      if (!deps.pubsub.listening) throw new Error('pubsub not listening');
      res.json({ status: 'ready' });
    } catch {
      res.status(503).json({ status: 'unavailable' });
    }
  });
  /** Runtime configuration for the clients (per deployment, not baked into bundles). */
  app.get('/api/config', (_req, res) => {
    res.json({
      support: { label: config.supportLabel, phone: config.supportPhone, email: config.supportEmail },
      sessionIdleMinutes: config.sessionIdleMinutes,
      shareTtlHours: config.shareTtlHours,
      viewerUrl: '/viewer/viewer.js',
      devMailbox: deps.catcher ? '/dev/mailbox' : null,
      proSanteConnect: config.psc !== undefined,
    });
  });

  // The frame route's, the retrieve route's and GraphQL's fast paths answer first (each hands
  // everything else on untouched; GraphQL's is there once Apollo has started); with tracing on,
  // every request goes through Express for its spans.
  const traffic = { draining: () => draining, inFlight };
  let graphqlFast: ((req: http.IncomingMessage, res: http.ServerResponse) => void) | undefined;
  const afterFrames = (req: http.IncomingMessage, res: http.ServerResponse) => (graphqlFast ?? app)(req, res);
  const server = http.createServer(tracingOn() ? app : frameFastPath(deps, traffic, retrieveFastPath(deps, traffic, afterFrames)));

  // --- GraphQL over WebSocket and over HTTP: one set of limits, one budget per client address.
  const format = formatError(deps);
  const budget = graphqlBudget(config);
  const live = attachGraphqlWebSocket(server, deps, schema, budget, format);

  // --- GraphQL over HTTP.
  const apollo = new ApolloServer<Context>({
    schema,
    // main.ts owns SIGTERM/SIGINT and stops everything in order; Apollo's own handler (on
    // whenever NODE_ENV is not test) raced it and left production hanging on SIGTERM.
    stopOnTerminationSignals: false,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    introspection: true,
    // limitsPlugin also answers 503 when the database was lost (unavailablePlugin's rule).
    // graphqlBody has parsed and checked the document under these limits already (limits.ts).
    parseOptions: { maxTokens: MAX_TOKENS },
    validationOptions: { maxErrors: MAX_VALIDATION_ERRORS },
    // Every document comes with its request, through graphqlBody's checks: none from a cache.
    persistedQueries: false,
    formatError: format,
    // No drain plugin: close() below drains the HTTP server itself, before Apollo stops.
    // No cache hints in this schema: Apollo's cache-control plugin only wrapped every field's
    // resolver to find none; graphqlBody answers Cache-Control: no-store itself.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginCacheControlDisabled(), limitsPlugin(schema, config), graphqlMetricsPlugin(), ...(tracingOn() ? [graphqlSpans()] : [])],
  });
  await apollo.start();
  if (!tracingOn()) graphqlFast = graphqlFastPath(deps, traffic, { apollo, schema, budget, format, context: httpContextMaker(deps) }, app);

  const playgroundDir = path.join(config.clientDir, 'playground', 'dist');
  app.get('/graphql', (req: Request, res: Response, next: NextFunction) => {
    if (req.accepts(['application/json', 'text/html']) === 'text/html' && existsSync(path.join(playgroundDir, 'index.html'))) {
      res.sendFile(path.join(playgroundDir, 'index.html'));
      return;
    }
    next();
  });
  app.use('/playground', express.static(playgroundDir, { index: false, fallthrough: false }));
  app.use(
    '/graphql',
    ...graphqlBody(config, schema, budget, format),
    expressMiddleware(apollo, { context: graphqlHttpContext(deps) }),
  );

  for (const mod of httpModules) mod.register(app, deps);

  // --- Static clients: the viewer micro-frontend and the shell (SPA fallback).
  app.use('/viewer', express.static(path.join(config.clientDir, 'viewer', 'dist'), { fallthrough: false, maxAge: '1h' }));
  const shellDir = path.join(config.clientDir, 'shell', 'dist');
  // The shell's build names every file under /assets by its content's hash: a file never
  // changes, so browsers keep it a year without asking again (a new build links new names from
  // index.html, which is never cached stale); a missing one is a 404, not the page's HTML.
  app.use('/assets', express.static(path.join(shellDir, 'assets'), { index: false, fallthrough: false, immutable: true, maxAge: '365d' }));
  app.use(express.static(shellDir, { index: false, maxAge: '1h' }));
  // /metrics too: it is served on the metrics listener only (ADR 0111), never as a page here.
  app.get(/^\/(?!graphql|dicomweb|api|dev|s\/|viewer|playground|metrics(?:\/|$)).*/, (req, res, next) => {
    if (req.accepts('html') && existsSync(path.join(shellDir, 'index.html'))) {
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(path.join(shellDir, 'index.html'));
      return;
    }
    next();
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (isConnectionLost(err)) {
      res.setHeader('Retry-After', '1');
      res.status(503).json({ error: 'Service temporarily unavailable' });
      return;
    }
    const status = typeof err === 'object' && err && 'status' in err && typeof err.status === 'number' ? err.status : 500;
    if (status >= 500) logger.error({ err }, 'unhandled error');
    res.status(status).json({ error: status === 413 ? 'Request too large' : status === 404 ? 'Not found' : status < 500 ? 'Bad request' : 'Internal server error' });
  });

  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  const removeMetricsSource = addMetricsSource({ orm, live: live.stats });
  const metrics = config.metricsPort === undefined ? undefined : await serveMetrics(config.metricsHost, config.metricsPort, logger);
  if (metrics) logger.info({ host: config.metricsHost, port: metrics.port }, 'metrics listener ready');
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const host = config.host === '0.0.0.0' ? 'localhost' : config.host;

  return {
    app,
    server,
    schema,
    url: `http://${host}:${port}`,
    metricsPort: metrics?.port,
    /**
     * Graceful (ADR 0112): /readyz answers 503 at once while the server serves as usual for
     * SHUTDOWN_DELAY_SECONDS (0 by default), for a balancer's checks to take it out (ADR 0116);
     * then no new connection is accepted, WebSockets are closed with a code the shell reconnects
     * on, requests in flight get up to SHUTDOWN_DRAIN_SECONDS to finish (their connections close
     * after them), then whatever is left is cut.
     */
    async close() {
      stopping = true;
      if (config.shutdownDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
      draining = true;
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // A keep-alive connection whose response went out before it saw "Connection: close".
      const idleSweep = setInterval(() => server.closeIdleConnections(), 250);
      await live.close();
      let timer: NodeJS.Timeout | undefined;
      const inTime = await Promise.race([closed.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), config.shutdownDrainMs)))]);
      clearTimeout(timer);
      clearInterval(idleSweep);
      if (!inTime) {
        logger.warn({ drainMs: config.shutdownDrainMs }, 'requests still in flight at the end of the drain: cut');
        server.closeAllConnections();
        await closed;
      }
      await apollo.stop();
      removeMetricsSource();
      await metrics?.close();
    },
  };
}
