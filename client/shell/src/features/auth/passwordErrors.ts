import type { ServerError } from './errors';
import { rateLimitedMessage } from './errors';

type T = (key: string, values?: Record<string, unknown>, plural?: number) => string;

/** The French (or English) sentence for a refused new password or link. */
export function passwordErrorMessage(t: T, err: ServerError): string {
  switch (err.code) {
    case 'WEAK_PASSWORD': {
      const reason = String(err.extensions.reason ?? 'TOO_COMMON');
      if (reason === 'TOO_SHORT') return t('auth.password.tooShort', { n: Number(err.extensions.minLength ?? 12) });
      if (reason === 'TOO_LONG') return t('auth.password.tooLong');
      if (reason === 'CONTAINS_EMAIL') return t('auth.password.containsEmail');
      return t('auth.password.tooCommon');
    }
    case 'INVALID_TOKEN':
      return t('auth.link.invalid');
    case 'RATE_LIMITED':
      return rateLimitedMessage(t, err);
    default:
      return t('common.error');
  }
}
