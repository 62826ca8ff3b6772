import { pino, type DestinationStream, type Logger } from 'pino';
import { traceLogFields } from './tracing.js';

export type { Logger };

/**
 * Structured JSON logs. Secrets and patient data never reach them: the paths below are
 * redacted wherever they appear, and request URLs are logged through `safePath`, which hides
 * share tokens and query strings.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({
    level,
    base: { service: 'e-mage' },
    // The active span's trace_id and span_id when traces are on (ADR 0122); nothing otherwise.
    mixin: traceLogFields,
    redact: {
      paths: [
        'password', '*.password', 'token', '*.token', 'authorization', '*.authorization',
        'cookie', '*.cookie', 'headers.cookie', 'headers.authorization',
        'email', '*.email', 'patient', '*.patient', 'variables', '*.variables',
      ],
      censor: '[redacted]',
    },
  }, destination);
}

/**
 * A request path fit for logs: share tokens, activation/reset tokens and query strings removed,
 * and the study, series and instance UIDs of DICOMweb paths masked (a UID identifies a patient's
 * exam as surely as a name; bulk data tags and frame numbers stay, they identify nothing).
 */
export function safePath(url: string): string {
  const pathOnly = url.split('?')[0] ?? '';
  // Wherever such a segment appears and in any case: express routes /DICOMweb/… too.
  return pathOnly.replace(/^\/s\/[^/]+/, '/s/[token]').replace(/\/(studies|series|instances)\/[^/]+/gi, '/$1/[uid]');
}
