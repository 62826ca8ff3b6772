import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener, GraphQLResponse } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { ErrorCode } from '../common/errors.js';
import { isConnectionLost } from '../infra/db/connection-loss.js';

const RETRY_AFTER_SECONDS = '1';

/**
 * A GraphQL answer that failed because the database was lost is a 503 with Retry-After, like any
 * route's (ADR 0092): a client or a load balancer retries, nobody reads it as a server bug.
 */
export function unavailablePlugin(): ApolloServerPlugin {
  const listener: GraphQLRequestListener<BaseContext> = {
    async willSendResponse({ response, errors }) {
      answerUnavailable(response, errors);
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}

/** unavailablePlugin's rule, for a plugin that answers it among its own (limitsPlugin). */
export function answerUnavailable(response: GraphQLResponse, errors: readonly GraphQLError[] | undefined): void {
  if (!errors?.some((e) => isConnectionLost(e.originalError ?? e))) return;
  response.http.status = 503;
  response.http.headers.set('retry-after', RETRY_AFTER_SECONDS);
}

/**
 * The error a context that could not be built throws: Apollo answers it before any plugin runs,
 * and takes its status from the error itself.
 */
export function contextError(err: unknown): unknown {
  if (!isConnectionLost(err)) return err;
  return new GraphQLError('Service temporarily unavailable, try again', {
    extensions: {
      code: ErrorCode.SERVICE_UNAVAILABLE,
      retryAfterSeconds: Number(RETRY_AFTER_SECONDS),
      http: { status: 503, headers: new Map([['retry-after', RETRY_AFTER_SECONDS]]) },
    },
  });
}
