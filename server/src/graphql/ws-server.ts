import type http from 'node:http';
import type { EntityManager } from '@mikro-orm/postgresql';
import { GraphQLError, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import type { Context as WsContext } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AppDeps } from '../app-deps.js';
import { AppError, ErrorCode, rateLimited } from '../common/errors.js';
import { clientAddress } from '../infra/http/client-address.js';
import { cookieWriter, parseCookies } from '../infra/http/cookies.js';
import type { LiveStats } from '../infra/metrics/metrics.js';
import { onSessionEnded, stillValidSessions } from '../modules/auth/auth.service.js';
import type { Context } from './context.js';
import { formatted, type formatError } from './format-error.js';
import { MAX_SUBSCRIPTIONS_PER_SOCKET, checkDocument, checkOperation, limitError, operationOf, validateDocument } from './limits.js';
import type { RequestBudget } from './request-budget.js';
import { resolveViewer } from './viewer.js';

/** A subscription document is a few hundred bytes; a bigger message closes the socket (1009). */
export const MAX_MESSAGE_BYTES = 16 * 1024;
/** Refused operations a socket may send before it is closed: a client's mistakes are one or two. */
export const MAX_REFUSALS_PER_SOCKET = 5;
/** The close code of a socket that kept sending refused operations (graphql-ws's clients do not retry it). */
export const CLOSE_ABUSIVE = 4429;
/**
 * The close code of every socket when the server stops (a deploy, a scale-in): 1012 Service
 * Restart, which graphql-ws's clients and the shell reconnect on, to another replica (ADR 0112).
 * Distinct from 4401, the session ended, on which the shell signs the user out.
 */
export const CLOSE_SERVICE_RESTART = 1012;
/** How long closing sockets get to answer the close handshake before they are cut. */
const CLOSE_HANDSHAKE_MS = 2_000;

interface Extra extends Record<PropertyKey, unknown> {
  request: http.IncomingMessage;
  socket: WebSocket;
  refusals?: number;
}

/**
 * GraphQL over WebSocket on /graphql: the live notifications. Same-origin handshakes only (the
 * session cookie rides along on cross-site ones), a signed-in user only, subscriptions only
 * (queries and mutations go over HTTP, where the session slides and CSRF is checked), under the
 * same limits as HTTP (limits.ts), the same budget per client address, and at most
 * MAX_SUBSCRIPTIONS_PER_SOCKET at once. A socket is closed when its session ends (logout,
 * reset, idle timeout, expiry, on any replica).
 */
export function attachGraphqlWebSocket(
  server: http.Server,
  deps: AppDeps,
  schema: GraphQLSchema,
  budget: RequestBudget,
  format: ReturnType<typeof formatError>,
): { close(): Promise<void>; stats(): LiveStats } {
  const { config, orm, logger } = deps;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const socketsBySession = new Map<string, Set<WebSocket>>();
  const connections = new Set<WsContext<Record<string, unknown> | undefined, Extra>>();

  server.on('upgrade', (req: http.IncomingMessage, socket, head) => {
    const url = req.url?.split('?')[0];
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
    const wait = budget.take(clientAddress(req, config) ?? 'unknown');
    if (wait > 0) {
      socket.write(`HTTP/1.1 429 Too Many Requests\r\nRetry-After: ${wait}\r\n\r\n`);
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const viewerOf = (request: http.IncomingMessage) =>
    resolveViewer(orm.em.fork() as EntityManager, deps, { cookies: parseCookies(request.headers.cookie), authorization: request.headers.authorization }, { touch: false });

  /** A refusal sent to the client; the socket is closed once it has sent too many. */
  const refuse = (ctx: WsContext<Record<string, unknown> | undefined, Extra>, errors: readonly GraphQLError[]): readonly GraphQLError[] => {
    ctx.extra.refusals = (ctx.extra.refusals ?? 0) + 1;
    if (ctx.extra.refusals >= MAX_REFUSALS_PER_SOCKET) ctx.extra.socket.close(CLOSE_ABUSIVE, 'Too many refused operations');
    return errors;
  };

  const wsServer = useServer<Record<string, unknown> | undefined, Extra>(
    {
      onConnect: async (ctx) => {
        const viewer = await viewerOf(ctx.extra.request);
        if (viewer.kind !== 'user') return false; // closes with 4403 Forbidden
        const set = socketsBySession.get(viewer.session.id) ?? new Set();
        set.add(ctx.extra.socket);
        socketsBySession.set(viewer.session.id, set);
        connections.add(ctx);
        ctx.extra.socket.once('close', () => {
          connections.delete(ctx);
          set.delete(ctx.extra.socket);
          if (set.size === 0) socketsBySession.delete(viewer.session.id);
        });
        return true;
      },
      onSubscribe: async (ctx, _id, payload): Promise<ExecutionArgs | readonly GraphQLError[]> => {
        const wait = budget.take(clientAddress(ctx.extra.request, config) ?? 'unknown');
        if (wait > 0) return refuse(ctx, [rateLimited(wait)]);
        // graphql-ws has already registered this one: more than the maximum means one too many.
        const open = Object.keys(ctx.subscriptions).length;
        if (open > MAX_SUBSCRIPTIONS_PER_SOCKET) {
          return refuse(ctx, [limitError(`${open} subscriptions on one connection exceed the maximum of ${MAX_SUBSCRIPTIONS_PER_SOCKET}`, 'subscriptions', open, MAX_SUBSCRIPTIONS_PER_SOCKET)]);
        }
        const checked = checkDocument(schema, payload.query);
        if (checked.errors) return refuse(ctx, checked.errors);
        const { document } = checked;
        try {
          if (operationOf(document, payload.operationName).operation !== 'subscription') {
            return refuse(ctx, [new AppError(ErrorCode.BAD_REQUEST, 'This connection carries subscriptions only: send queries and mutations to POST /graphql')]);
          }
        } catch (e) {
          if (e instanceof GraphQLError) return refuse(ctx, [e]);
          throw e;
        }
        const invalid = validateDocument(schema, document);
        if (invalid.length) return refuse(ctx, invalid);
        const viewer = await viewerOf(ctx.extra.request);
        try {
          checkOperation(schema, config, { document, operationName: payload.operationName, variables: payload.variables, viewer });
        } catch (e) {
          if (e instanceof GraphQLError) return refuse(ctx, [e]);
          throw e;
        }
        const contextValue: Context = {
          deps,
          em: orm.em.fork() as EntityManager,
          viewer,
          request: { ip: clientAddress(ctx.extra.request, config), userAgent: ctx.extra.request.headers['user-agent'] ?? null },
          cookies: cookieWriter(null, config),
          memo: new Map(),
        };
        return { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue };
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatted(format, e)),
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: result.errors.map((e) => formatted(format, e)) } : undefined),
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

  return {
    /** Every socket closed with CLOSE_SERVICE_RESTART; one that does not answer in time is cut. */
    async close() {
      clearInterval(sweep);
      offSessionEnded();
      const sockets = [...wss.clients];
      const closed = sockets.map((ws) => new Promise<void>((resolve) => (ws.readyState === ws.CLOSED ? resolve() : ws.once('close', () => resolve()))));
      for (const ws of sockets) ws.close(CLOSE_SERVICE_RESTART, 'Service restart');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(closed), new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_HANDSHAKE_MS)))]);
      clearTimeout(timer);
      for (const ws of wss.clients) ws.terminate();
      await wsServer.dispose();
      wss.close();
    },
    stats: () => ({ sockets: connections.size, subscriptions: [...connections].reduce((n, ctx) => n + Object.keys(ctx.subscriptions).length, 0) }),
  };
}
