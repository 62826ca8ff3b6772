import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { AppDeps } from '../app-deps.js';
import { AppError, ErrorCode } from '../common/errors.js';

const KNOWN_CODES = new Set<string>([
  ...Object.values(ErrorCode),
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * graphql-js ends a message with suggestions ("Cannot query field "patiens" on type "Query".
 * Did you mean "patients"?", the same for arguments, types and enum values): in production they
 * would map the schema for callers who may not introspect it (ADR 0095).
 */
const SUGGESTION = / ?Did you mean [^?]*\?$/;

/**
 * Client-facing errors, on every transport: our own codes pass, anything unexpected is masked
 * and logged; in production no "Did you mean …" suggestion leaves the server.
 */
export function formatError(deps: Pick<AppDeps, 'logger' | 'config'>) {
  const production = deps.config.env === 'production';
  const shown = (formatted: GraphQLFormattedError): GraphQLFormattedError =>
    production && SUGGESTION.test(formatted.message) ? { ...formatted, message: formatted.message.replace(SUGGESTION, '') } : formatted;
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    const original = error instanceof GraphQLError ? error.originalError : undefined;
    const app = original instanceof AppError ? original : error instanceof AppError ? error : undefined;
    if (app) return shown({ ...formatted, extensions: { ...app.extensions } });
    if (typeof code === 'string' && KNOWN_CODES.has(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
      const { stacktrace: _s, ...extensions } = formatted.extensions ?? {};
      return shown({ ...formatted, extensions });
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

/** An error as formatError shows it, for transports that do not format for us (graphql-ws). */
export function formatted(format: ReturnType<typeof formatError>, error: GraphQLError): GraphQLFormattedError {
  return format(error.toJSON(), error);
}
