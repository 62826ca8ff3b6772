import { GraphQLError } from 'graphql';

/** Stable codes carried in `extensions.code`; clients switch on these, never on messages. */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  ACCOUNT_LOCKED: 'ACCOUNT_LOCKED',
  /** The password was right; the login ends with a second factor (a cookie holds the pending login). */
  SECOND_FACTOR_REQUIRED: 'SECOND_FACTOR_REQUIRED',
  /** The password was right; the account must enrol a second factor before anything else. */
  SECOND_FACTOR_ENROLMENT_REQUIRED: 'SECOND_FACTOR_ENROLMENT_REQUIRED',
  INVALID_SECOND_FACTOR: 'INVALID_SECOND_FACTOR',
  RATE_LIMITED: 'RATE_LIMITED',
  NOT_FOUND: 'NOT_FOUND',
  INVALID_TOKEN: 'INVALID_TOKEN',
  WEAK_PASSWORD: 'WEAK_PASSWORD',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  /** A request GraphQL cannot run as sent: no such operation, or not over this transport. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** The database could not be reached for this request: try again shortly (ADR 0092). */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An error whose message and code are meant for the client. */
export class AppError extends GraphQLError {
  constructor(
    readonly code: ErrorCode,
    message: string,
    extra: Record<string, unknown> = {},
  ) {
    super(message, { extensions: { code, ...extra } });
    this.name = 'AppError';
  }
}

export const unauthenticated = (): AppError =>
  new AppError(ErrorCode.UNAUTHENTICATED, 'Authentication required');
export const forbidden = (): AppError =>
  new AppError(ErrorCode.FORBIDDEN, 'You are not allowed to do this');
export const badInput = (message: string, field?: string): AppError =>
  new AppError(ErrorCode.BAD_USER_INPUT, message, field ? { field } : {});
export const notFound = (what = 'Resource'): AppError =>
  new AppError(ErrorCode.NOT_FOUND, `${what} not found`);
export const rateLimited = (retryAfterSeconds: number): AppError =>
  new AppError(ErrorCode.RATE_LIMITED, 'Too many attempts, try again later', { retryAfterSeconds });

export const serviceUnavailable = (): AppError =>
  new AppError(ErrorCode.SERVICE_UNAVAILABLE, 'Service temporarily unavailable, try again', { retryAfterSeconds: 1 });

/** HTTP status for non-GraphQL routes (DICOMweb, share exchange). */
export function httpStatusOf(code: ErrorCode): number {
  switch (code) {
    case ErrorCode.UNAUTHENTICATED:
    case ErrorCode.INVALID_CREDENTIALS:
    case ErrorCode.INVALID_TOKEN:
    case ErrorCode.SECOND_FACTOR_REQUIRED:
    case ErrorCode.SECOND_FACTOR_ENROLMENT_REQUIRED:
    case ErrorCode.INVALID_SECOND_FACTOR:
      return 401;
    case ErrorCode.FORBIDDEN:
      return 403;
    case ErrorCode.NOT_FOUND:
      return 404;
    case ErrorCode.BAD_USER_INPUT:
    case ErrorCode.WEAK_PASSWORD:
    case ErrorCode.QUERY_TOO_COMPLEX:
    case ErrorCode.BAD_REQUEST:
      return 400;
    case ErrorCode.ACCOUNT_LOCKED:
      return 423;
    case ErrorCode.RATE_LIMITED:
      return 429;
    case ErrorCode.SERVICE_UNAVAILABLE:
      return 503;
    case ErrorCode.INTERNAL_SERVER_ERROR:
      return 500;
  }
}
