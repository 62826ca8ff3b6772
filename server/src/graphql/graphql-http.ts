import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { IncomingMessage } from 'node:http';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { Kind, OperationTypeNode, type DocumentNode, type GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { ErrorCode, httpStatusOf, rateLimited, type AppError } from '../common/errors.js';
import type { Config } from '../config.js';
import { clientAddress } from '../infra/http/client-address.js';
import type { Context } from './context.js';
import type { formatError } from './format-error.js';
import { checkDocument, checkOperation, isLimitError, limitError } from './limits.js';
import type { RequestBudget } from './request-budget.js';
import { answerUnavailable } from './unavailable.js';

type Format = ReturnType<typeof formatError>;

/** A refusal's body, in GraphQL's error shape. */
export function refusalBody(format: Format, errors: readonly (GraphQLError | AppError)[]): { errors: GraphQLFormattedError[] } {
  return { errors: errors.map((e): GraphQLFormattedError => format(e.toJSON(), e)) };
}

function refuse(res: Response, status: number, format: Format, errors: readonly (GraphQLError | AppError)[]): void {
  res.status(status).json(refusalBody(format, errors));
}

/** What the request budget says of a request: 0 to go on, else the seconds to wait (its allowance taken). */
export function budgetWait(budget: RequestBudget, req: IncomingMessage, config: Config): number {
  return budget.take(clientAddress(req, config) ?? 'unknown');
}

/**
 * The checks of a parsed request (`body`, and the document `query`, from the body or the URL)
 * before Apollo: a batch is refused, then a document over the limits (checkDocument); otherwise
 * whether every operation of the document is a query (see queriesOnly).
 */
export function checkBody(schema: GraphQLSchema, body: unknown, query: unknown): { refused: readonly (GraphQLError | AppError)[] } | { queriesOnly: boolean } {
  if (Array.isArray(body)) {
    return { refused: [limitError(`Batched operations are not accepted: send one operation per request (got ${body.length})`, 'batch', body.length, 1)] };
  }
  // Anything else (no query, a syntax error) Apollo answers the standard way.
  const checked = typeof query === 'string' ? checkDocument(schema, query) : undefined;
  const refused = checked?.errors?.filter(isLimitError);
  if (refused?.length) return { refused };
  return { queriesOnly: checked?.document !== undefined && queriesOnly(checked.document) };
}

/**
 * What /graphql checks before Apollo sees a request, each refusal in GraphQL's error shape
 * (every answer Cache-Control: no-store):
 * the client's request budget (429, Retry-After), the body size (413), a batch (a JSON array of
 * operations: batches multiply the limits by the array's length), then the document itself
 * (checkDocument: tokens, depth, aliases, repeated fields), so that Apollo's parse and GraphQL's
 * validation only ever run on documents within the limits. The fast path
 * (graphql-fast-path.ts) makes the same checks with the same functions.
 */
export function graphqlBody(config: Config, schema: GraphQLSchema, budget: RequestBudget, format: Format): RequestHandler[] {
  const max = config.maxGraphqlBodyBytes;
  return [
    (req, res, next) => {
      // Answers carry patient data: no cache keeps them (Apollo's cache-control plugin is off).
      res.setHeader('Cache-Control', 'no-store');
      const wait = budgetWait(budget, req, config);
      if (wait === 0) return next();
      res.setHeader('Retry-After', String(wait));
      refuse(res, 429, format, [rateLimited(wait)]);
    },
    express.json({ limit: max }),
    ((err: unknown, _req: Request, res: Response, next: NextFunction) => {
      const e = err as { type?: string; length?: number } | undefined;
      if (e?.type === 'entity.too.large') {
        refuse(res, 413, format, [limitError(`Request body of ${e.length ?? 'more than ' + max} bytes exceeds the maximum of ${max} bytes`, 'bodyBytes', e.length ?? null, max)]);
        return;
      }
      next(err);
    }) as unknown as RequestHandler,
    (req, res, next) => {
      const query: unknown = req.method === 'GET' ? req.query.query : (req.body as { query?: unknown } | undefined)?.query;
      const verdict = checkBody(schema, req.body, query);
      if ('refused' in verdict) {
        refuse(res, 400, format, verdict.refused);
        return;
      }
      // Whichever operation runs, it reads only: the context may take the caller's session row
      // from the read cache (ADR 0142). A mutation always reads the session from the database.
      if (verdict.queriesOnly) res.locals.queriesOnly = true;
      next();
    },
  ];
}

const queriesOnlyOf = new WeakMap<DocumentNode, boolean>();

/** Whether every operation of a document is a query (checkDocument hands the same object for the same source). */
export function queriesOnly(document: DocumentNode): boolean {
  let known = queriesOnlyOf.get(document);
  if (known === undefined) {
    known = document.definitions.every((d) => d.kind !== Kind.OPERATION_DEFINITION || d.operation === OperationTypeNode.QUERY);
    queriesOnlyOf.set(document, known);
  }
  return known;
}

/**
 * Apollo's part of the limits: checkOperation once the operation is resolved, and the HTTP
 * status of a request refused before execution taken from its code (400 for a limit or a bad
 * request, 401 for introspection without a session), not Apollo's 200 or 500; then, as
 * unavailablePlugin does (it is not installed as well), a 503 with Retry-After when the
 * database was lost. One listener object for every request: Apollo runs each plugin's
 * requestDidStart and each of its hooks per request (a promise each), and these keep no state.
 */
export function limitsPlugin(schema: GraphQLSchema, config: Pick<Config, 'env'>): ApolloServerPlugin<Context> {
  const ours = new Set<string>(Object.values(ErrorCode));
  const listener: GraphQLRequestListener<Context> = {
    async didResolveOperation({ request, document, contextValue }) {
      checkOperation(schema, config, { document, operationName: request.operationName, variables: request.variables, viewer: contextValue.viewer });
    },
    async willSendResponse({ response, errors }) {
      if (response.body.kind === 'single' && response.body.singleResult.data === undefined) {
        const code = response.body.singleResult.errors?.[0]?.extensions?.code;
        if (typeof code === 'string' && ours.has(code)) response.http.status = httpStatusOf(code as ErrorCode);
      }
      answerUnavailable(response, errors);
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}
