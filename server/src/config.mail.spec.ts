import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
};

describe('mail relay settings (ADR 0101)', () => {
  it('TLS to the relay by default; plaintext only when SMTP_ALLOW_PLAINTEXT says so', () => {
    expect(loadConfig({ SMTP_URL: 'smtp://relay.example:587' }).smtpAllowPlaintext).toBe(false);
    expect(loadConfig({ SMTP_URL: 'smtp://relay.example:25', SMTP_ALLOW_PLAINTEXT: 'true' }).smtpAllowPlaintext).toBe(true);
    expect(problemsOf({ SMTP_ALLOW_PLAINTEXT: 'peut-être' })).toEqual(['SMTP_ALLOW_PLAINTEXT must be true or false (got "peut-être")']);
  });

  it('in production, plaintext is refused to a relay off this host, naming the variable', () => {
    const production = { NODE_ENV: 'production', SMTP_ALLOW_PLAINTEXT: 'true' };
    const remote = problemsOf({ ...production, SMTP_URL: 'smtp://relay.example:25' });
    expect(remote.filter((p) => p.startsWith('SMTP_ALLOW_PLAINTEXT'))).toHaveLength(1);
    for (const local of ['smtp://127.0.0.1:25', 'smtp://localhost:2525', 'smtp://[::1]:25']) {
      expect(problemsOf({ ...production, SMTP_URL: local }).filter((p) => p.includes('SMTP_ALLOW_PLAINTEXT')), local).toEqual([]);
    }
    expect(problemsOf({ NODE_ENV: 'production', SMTP_URL: 'smtp://relay.example:587' }).filter((p) => p.includes('SMTP_ALLOW_PLAINTEXT'))).toEqual([]);
  });

  it('timeouts and retries: defaults, and values out of range named', () => {
    expect(loadConfig({})).toMatchObject({ smtpTimeoutMs: 30_000, mailMaxAttempts: 12, mailRetryBaseMs: 5000 });
    expect(loadConfig({ SMTP_TIMEOUT_SECONDS: '2.5', MAIL_MAX_ATTEMPTS: '3', MAIL_RETRY_BASE_SECONDS: '0.5' })).toMatchObject({ smtpTimeoutMs: 2500, mailMaxAttempts: 3, mailRetryBaseMs: 500 });
    expect(problemsOf({ SMTP_TIMEOUT_SECONDS: '0', MAIL_MAX_ATTEMPTS: '0', MAIL_RETRY_BASE_SECONDS: 'x' })).toEqual([
      'SMTP_TIMEOUT_SECONDS must be a number between 0.1 and 600 (got "0")',
      'MAIL_MAX_ATTEMPTS must be a number between 1 and 100 (got "0")',
      'MAIL_RETRY_BASE_SECONDS must be a number between 0.05 and 3600 (got "x")',
    ]);
  });
});
