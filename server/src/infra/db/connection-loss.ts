import { AppError, ErrorCode, serviceUnavailable } from '../../common/errors.js';

/**
 * What a lost or unreachable database looks like from here, whoever wraps it (pg, knex, the ORM
 * copy the code and the message): PostgreSQL going away (a failover, a restart, a pooler or a
 * timeout ending the session), the network, or no connection to be had in time.
 */
const LOST_SQLSTATES = new Set([
  '57P01', // admin_shutdown: pg_terminate_backend, a fast shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up, shutting down, in recovery
  '57P05', // idle_session_timeout
  '25P03', // idle_in_transaction_session_timeout
  '53300', // too_many_connections
]);
const LOST_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const LOST_MESSAGES = [
  'Connection terminated',
  'is not queryable',
  'Timeout acquiring a connection',
  'Connection ended unexpectedly',
  'the database system is',
  'is not currently accepting connections',
];

function* chain(err: unknown): Generator<unknown> {
  const seen = new Set<unknown>();
  let current = err;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    yield current;
    const e = current as { cause?: unknown; originalError?: unknown; previous?: unknown };
    current = e.originalError ?? e.previous ?? e.cause;
  }
}

/** Whether `err` (or what it wraps) says the database connection was lost or could not be had. */
export function isConnectionLost(err: unknown): boolean {
  for (const e of chain(err)) {
    const { code, message, name, extensions } = e as { code?: unknown; message?: unknown; name?: unknown; extensions?: { code?: unknown } };
    // Ours already, possibly wrapped by the ORM (which copies the code and extensions).
    if (code === ErrorCode.SERVICE_UNAVAILABLE || extensions?.code === ErrorCode.SERVICE_UNAVAILABLE) return true;
    if (typeof code === 'string' && (LOST_SQLSTATES.has(code) || code.startsWith('08') || LOST_SOCKET_CODES.has(code))) return true;
    if (name === 'KnexTimeoutError') return true;
    if (typeof message === 'string' && LOST_MESSAGES.some((m) => message.includes(m))) return true;
  }
  return false;
}

const READ = /^\s*(select|with|show|table|values)\b/i;
const SIDE_EFFECT = /\b(insert|update|delete|merge|copy|pg_notify|pg_advisory\w*|pg_try_advisory\w*|nextval|setval|stats_rebuild)\b/i;

/** A statement whose repetition changes nothing: run again after a lost connection, it answers the same question. */
export function isReadOnlyStatement(sql: string): boolean {
  return READ.test(sql) && !SIDE_EFFECT.test(sql);
}

/** Enough to step over connections terminated together, few enough to answer quickly when the database is gone. */
const RETRY_DELAYS_MS = [0, 50, 250];

/**
 * Runs `attempt` (a read outside any transaction, or the start of one), again on a fresh
 * connection when the connection it had was lost: a pooled connection can die between its
 * last use and the next (ADR 0092).
 */
export async function retryOnConnectionLoss<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      const delay = RETRY_DELAYS_MS[i + 1];
      if (delay === undefined || !isConnectionLost(err)) throw unavailableIfLost(err);
      if (delay) await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/**
 * What the caller is told of a lost database: SERVICE_UNAVAILABLE (503, try again), never an
 * internal error; any other error unchanged.
 */
export function unavailableIfLost(err: unknown): unknown {
  return isConnectionLost(err) && !(err instanceof AppError) ? serviceUnavailable() : err;
}
