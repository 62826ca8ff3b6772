/** What the server said, read from an Apollo error: the stable code and its details. */
export interface ServerError {
  code: string | null;
  field: string | null;
  extensions: Record<string, unknown>;
}

export function serverError(e: unknown): ServerError {
  const gql = (e as { graphQLErrors?: Array<{ extensions?: Record<string, unknown> }> }).graphQLErrors?.[0];
  const extensions = gql?.extensions ?? {};
  return {
    code: typeof extensions.code === 'string' ? extensions.code : null,
    field: typeof extensions.field === 'string' ? extensions.field : null,
    extensions,
  };
}

/** Minutes to wait, rounded up, from a RATE_LIMITED error. */
export function retryMinutes(err: ServerError): number {
  const s = Number(err.extensions.retryAfterSeconds);
  return Number.isFinite(s) && s > 0 ? Math.ceil(s / 60) : 1;
}

type Translate = (key: string, named: Record<string, unknown>, plural: number) => string;

/** The rate-limit sentence, its minutes in the right plural form (« 1 minute », « 2 minutes »). */
export function rateLimitedMessage(t: Translate, err: ServerError): string {
  const n = retryMinutes(err);
  return t('auth.rateLimited', { n }, n);
}
