import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppDeps } from './app-deps.js';
import { AppError, ErrorCode } from './common/errors.js';
import type { Context } from './graphql/context.js';
import { aliasLimitRule, depthLimitRule, graphqlBody, limitsPlugin } from './graphql/limits.js';
import { createSchema } from './graphql/schema.js';
import { addViewerResolver, resolveViewer } from './graphql/viewer.js';
import { clientAddress, trustOf } from './infra/http/client-address.js';
import { cookieWriter, parseCookies } from './infra/http/cookies.js';
import { securityHeaders } from './infra/http/security-headers.js';
import { httpModules } from './infra/http/modules.js';
import { safePath } from './infra/logger.js';
import { onSessionEnded, stillValidSessions } from './modules/auth/auth.service.js';
import { apiKeyViewerResolver } from './modules/facility/facility.service.js';

export interface RunningApp {
  app: Express;
  server: http.Server;
  schema: GraphQLSchema;
  url: string;
  close(): Promise<void>;
}

/** Client-facing errors: our own codes pass, anything unexpected is masked and logged. */
function formatError(deps: AppDeps) {
  const known = new Set<string>([...Object.values(ErrorCode), 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND', 'OPERATION_RESOLUTION_FAILURE']);
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    const original = error instanceof GraphQLError ? error.originalError : undefined;
    if (original instanceof AppError) return { ...formatted, extensions: { ...original.extensions } };
    if (typeof code === 'string' && known.has(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
      const { stacktrace: _s, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    // Name and code only: a database error's message is its SQL with the values bound (patient
    // names, IPPs), and no patient data may reach a log.
    const err = original ?? error;
    const name = err instanceof Error ? err.name : typeof err;
    const errCode = err instanceof Error && 'code' in err ? String(err.code) : undefined;
    deps.logger.error({ err: { name, code: errCode }, path: formatted.path }, 'unexpected GraphQL error');
    return { message: 'Internal server error', path: formatted.path, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
  };
}

export async function createApp(deps: AppDeps): Promise<RunningApp> {
  const { config, orm, logger } = deps;
  addViewerResolver(apiKeyViewerResolver);
  const schema = await createSchema(deps.pubsub);

  const app = express();
  app.disable('x-powered-by');
  // req.ip, should anything read it, follows the same trust as clientAddress.
  app.set('trust proxy', trustOf(config));
  app.use(securityHeaders(config));
  app.use((req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      if (res.statusCode >= 500 || logger.isLevelEnabled('debug')) {
        logger[res.statusCode >= 500 ? 'error' : 'debug'](
          { method: req.method, path: safePath(req.originalUrl), status: res.statusCode, ms: Number(process.hrtime.bigint() - start) / 1e6 },
          'request',
        );
      }
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await orm.em.fork().getConnection().execute('select 1');
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
    });
  });

  const server = http.createServer(app);

  // --- GraphQL over WebSocket (subscriptions), authenticated by the same session cookie.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const socketsBySession = new Map<string, Set<WebSocket>>();
  server.on('upgrade', (req, socket, head) => {
    const url = req.url?.split('?')[0];
    // Cookies ride along on cross-site WebSocket handshakes: refuse foreign origins.
    const origin = req.headers.origin;
    let sameOrigin = !origin || origin === config.publicUrl;
    if (!sameOrigin && origin) {
      try {
        sameOrigin = new URL(origin).host === req.headers.host;
      } catch {
        sameOrigin = false; // "null" (sandboxed frames) or garbage: foreign
      }
    }
    if (url !== '/graphql' || !sameOrigin) {
      socket.write('HTTP/1.1 403 Forbidden\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  interface WsExtra extends Record<PropertyKey, unknown> {
    request: http.IncomingMessage;
    socket: WebSocket;
    sessionId?: string;
  }
  const wsServer = useServer<Record<string, unknown> | undefined, WsExtra>(
    {
      schema,
      onConnect: async (ctx) => {
        const em = orm.em.fork() as EntityManager;
        const viewer = await resolveViewer(em, deps, {
          cookies: parseCookies(ctx.extra.request.headers.cookie),
          authorization: ctx.extra.request.headers.authorization,
        }, { touch: false });
        if (viewer.kind !== 'user') return false; // closes with 4403 Forbidden
        ctx.extra.sessionId = viewer.session.id;
        const set = socketsBySession.get(viewer.session.id) ?? new Set();
        set.add(ctx.extra.socket);
        socketsBySession.set(viewer.session.id, set);
        ctx.extra.socket.once('close', () => {
          set.delete(ctx.extra.socket);
          if (set.size === 0) socketsBySession.delete(viewer.session.id);
        });
        return true;
      },
      context: async (ctx): Promise<Context> => {
        const em = orm.em.fork() as EntityManager;
        const viewer = await resolveViewer(em, deps, {
          cookies: parseCookies(ctx.extra.request.headers.cookie),
          authorization: ctx.extra.request.headers.authorization,
        }, { touch: false });
        return {
          deps,
          em,
          viewer,
          request: { ip: clientAddress(ctx.extra.request, config), userAgent: ctx.extra.request.headers['user-agent'] ?? null },
          cookies: cookieWriter(null, config),
          memo: new Map(),
        };
      },
    },
    wss,
  );
  const closeSessionSockets = (sessionId: string) => {
    for (const ws of socketsBySession.get(sessionId) ?? []) ws.close(4401, 'Session ended');
  };
  const offSessionEnded = onSessionEnded(closeSessionSockets);
  // Sessions also end by idle timeout, expiry or on another replica: re-check open sockets.
  const sweep = setInterval(() => {
    const ids = [...socketsBySession.keys()];
    if (ids.length === 0) return;
    stillValidSessions(orm.em.fork() as EntityManager, ids)
      .then((valid) => ids.filter((id) => !valid.has(id)).forEach(closeSessionSockets))
      .catch((err: unknown) => logger.warn({ err }, 'session sweep failed'));
  }, 5_000);
  sweep.unref();

  // --- GraphQL over HTTP.
  const apollo = new ApolloServer<Context>({
    schema,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    introspection: true,
    validationRules: [depthLimitRule, aliasLimitRule],
    formatError: formatError(deps),
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer: server }), ApolloServerPluginLandingPageDisabled(), limitsPlugin(schema, config)],
  });
  await apollo.start();

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
    ...graphqlBody(config),
    expressMiddleware(apollo, {
      context: async ({ req, res }): Promise<Context> => {
        const em = orm.em.fork() as EntityManager;
        const viewer = await resolveViewer(em, deps, { cookies: parseCookies(req.headers.cookie), authorization: req.headers.authorization });
        return {
          deps,
          em,
          viewer,
          request: { ip: clientAddress(req, config), userAgent: req.headers['user-agent'] ?? null },
          cookies: cookieWriter(res, config),
          memo: new Map(),
        };
      },
    }),
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
  app.get(/^\/(?!graphql|dicomweb|api|dev|s\/|viewer|playground).*/, (req, res, next) => {
    if (req.accepts('html') && existsSync(path.join(shellDir, 'index.html'))) {
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(path.join(shellDir, 'index.html'));
      return;
    }
    next();
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = typeof err === 'object' && err && 'status' in err && typeof err.status === 'number' ? err.status : 500;
    if (status >= 500) logger.error({ err }, 'unhandled error');
    res.status(status).json({ error: status === 413 ? 'Request too large' : status === 404 ? 'Not found' : status < 500 ? 'Bad request' : 'Internal server error' });
  });

  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const host = config.host === '0.0.0.0' ? 'localhost' : config.host;

  return {
    app,
    server,
    schema,
    url: `http://${host}:${port}`,
    async close() {
      clearInterval(sweep);
      offSessionEnded();
      await wsServer.dispose();
      wss.close();
      await apollo.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
