import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import { rateLimited } from '../common/errors.js';
import type { AppDeps } from '../app-deps.js';
import { securityHeaderPairs } from '../infra/http/security-headers.js';
import { trackRequest, type Traffic } from '../infra/http/request-tracking.js';
import { graphqlRequestFinished } from '../infra/metrics/metrics.js';
import type { Context } from './context.js';
import type { formatError } from './format-error.js';
import { budgetWait, checkBody, refusalBody } from './graphql-http.js';
import type { httpContextMaker } from './http-context.js';
import type { RequestBudget } from './request-budget.js';

/**
 * GraphQL over HTTP without Express (issue 22, ADR 0143): a POST of /graphql whose body is JSON
 * of a declared length within the limit, in UTF-8 and not compressed — what the shell, the
 * playground and every GraphQL client send. It makes the checks of Express's /graphql stack
 * with the same functions, in the same order (the request budget, then the body, a batch, the
 * document's limits), hands the request to Apollo as its Express integration does, and writes
 * the answer at once. Everything else — GET, another content type or encoding, a chunked or
 * oversized body, another path — goes to Express untouched, which answers it as before (the
 * 413 of a body over the limit included).
 *
 * What Express's stack does for this route is done here too: the security headers and
 * Cache-Control: no-store, the request metrics (the same series), the request log (5xx, or
 * every request at debug level), in-flight tracking and `Connection: close` while draining
 * (ADR 0112/0116). Express answered a body that is not JSON with its error handler's
 * `{"error":"Bad request"}`; so does this path. The one difference: no ETag (Express's
 * res.send adds a weak one; nothing caches a POST's answer).
 */

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

export interface GraphqlHttp {
  apollo: ApolloServer<Context>;
  schema: GraphQLSchema;
  budget: RequestBudget;
  format: ReturnType<typeof formatError>;
  context: ReturnType<typeof httpContextMaker>;
}

/** `application/json`, alone or with UTF-8 named as its charset: what body-parser would read as UTF-8 JSON. */
const JSON_TYPE = /^application\/json\s*(?:;\s*charset="?utf-8"?\s*)?$/i;

export function graphqlFastPath(deps: AppDeps, traffic: Traffic, graphql: GraphqlHttp, express: Listener): Listener {
  const { config, logger } = deps;
  const max = config.maxGraphqlBodyBytes;
  const security = securityHeaderPairs(config).flat();

  /** Whether this request is the fast path's: decided on its head alone, before anything is read. */
  const ours = (req: IncomingMessage): boolean => {
    if (req.method !== 'POST' || req.url !== '/graphql') return false;
    const h = req.headers;
    if (h['content-encoding'] !== undefined && h['content-encoding'] !== 'identity') return false;
    if (h['transfer-encoding'] !== undefined || !JSON_TYPE.test(h['content-type'] ?? '')) return false;
    const length = h['content-length'];
    return length !== undefined && /^\d{1,9}$/.test(length) && Number(length) <= max;
  };

  const send = (res: ServerResponse, status: number, headers: string[], body: string) => {
    const all = [...security, 'Cache-Control', 'no-store', ...headers, 'Content-Length', String(Buffer.byteLength(body))];
    if (traffic.draining()) all.push('Connection', 'close');
    res.writeHead(status, all);
    res.end(body);
  };
  const json = (res: ServerResponse, status: number, value: unknown, headers: string[] = []) =>
    send(res, status, ['Content-Type', 'application/json; charset=utf-8', ...headers], JSON.stringify(value));

  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const wait = budgetWait(graphql.budget, req, config);
    if (wait !== 0) {
      json(res, 429, refusalBody(graphql.format, [rateLimited(wait)]), ['Retry-After', String(wait)]);
      return;
    }
    const body = parseJsonBody(await readBody(req, Number(req.headers['content-length'])));
    if (body === undefined) {
      json(res, 400, { error: 'Bad request' });
      return;
    }
    const verdict = checkBody(graphql.schema, body, (body as { query?: unknown }).query);
    if ('refused' in verdict) {
      json(res, 400, refusalBody(graphql.format, verdict.refused));
      return;
    }
    // As Apollo's Express integration builds it.
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    const response = await graphql.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: 'POST', headers, search: '', body },
      context: () => graphql.context(req, res, verdict.queriesOnly),
    });
    const out: string[] = [];
    for (const [key, value] of response.headers) out.push(key, value);
    const status = response.status ?? 200;
    if (response.body.kind === 'complete') {
      send(res, status, out, response.body.string);
      return;
    }
    // Incremental delivery (@defer): chunk by chunk, as the Express integration writes it.
    res.writeHead(status, [...security, 'Cache-Control', 'no-store', ...out, ...(traffic.draining() ? ['Connection', 'close'] : [])]);
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };

  return (req, res) => {
    if (!ours(req)) {
      express(req, res);
      return;
    }
    const start = process.hrtime.bigint();
    trackRequest(req, res, traffic, logger, start, () => graphqlRequestFinished(req.socket, start, res.statusCode));
    answer(req, res).catch((err: unknown) => {
      if (req.destroyed && !res.headersSent) return; // the client went away mid-body
      logger.error({ err }, 'unhandled error');
      if (res.headersSent) res.destroy();
      else json(res, 500, { error: 'Internal server error' });
    });
  };
}

/**
 * A body as Express's express.json() reads it (body-parser, strict): a leading byte order mark
 * dropped, an empty body is {}, anything but an object or an array, or text that is not JSON, is
 * refused (undefined).
 */
export function parseJsonBody(text: string): unknown {
  const json = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (json.length === 0) return {};
  if (!/^[ \t\n\r]*[[{]/.test(json)) return undefined;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return undefined;
  }
}

/** The request's body of `length` bytes (its declared Content-Length; Node's parser holds it to it) as UTF-8 text. */
function readBody(req: IncomingMessage, length: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      got += chunk.length;
    });
    req.once('end', () => (got === length ? resolve((chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, got)).toString('utf8')) : reject(new Error('request size did not match content length'))));
    req.once('error', reject);
    req.once('aborted', () => reject(new Error('request aborted')));
  });
}
