import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The one reader of process.env. Every variable is validated at start-up; all problems are
 * reported together, each with the variable's name, so an operator fixes them in one go.
 */
export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  publicUrl: string;
  /** Unset: an embedded PostgreSQL is started with its data under dataDir. */
  databaseUrl: string | undefined;
  /** Unset: a built-in SMTP catcher is started and its mailbox served at /dev/mailbox. */
  smtpUrl: string | undefined;
  mailFrom: string;
  storageDir: string;
  dataDir: string;
  sessionIdleMinutes: number;
  sessionAbsoluteHours: number;
  lockoutAttempts: number;
  lockoutMinutes: number;
  passwordResetTtlMinutes: number;
  activationTtlHours: number;
  shareTtlHours: number;
  supportPhone: string;
  supportEmail: string;
  supportLabel: string;
  seedDemo: boolean;
  logLevel: string;
  clientDir: string;
  /** Request size limits (bytes). */
  maxGraphqlBodyBytes: number;
  maxStowBodyBytes: number;
  maxInstanceBytes: number;
  trustProxy: boolean;
  /** Multiplies every rate limit (tests from one loopback address raise it). */
  rateLimitScale: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root, whether running from src/ (tests) or dist/ (build). */
export const repoRoot = path.resolve(here, '..', '..');

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];

  const str = (name: string, fallback: string): string => {
    const v = env[name];
    return v === undefined || v === '' ? fallback : v;
  };
  const num = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) {
      problems.push(`${name} must be a number between ${min} and ${max} (got "${raw}")`);
      return fallback;
    }
    return n;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
    if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
    problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  };
  const url = (name: string, protocols: string[]): string | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    try {
      const u = new URL(raw);
      if (!protocols.includes(u.protocol)) {
        problems.push(`${name} must use ${protocols.join(' or ')} (got "${u.protocol}")`);
      }
    } catch {
      problems.push(`${name} is not a valid URL`);
    }
    return raw;
  };

  const nodeEnv = str('NODE_ENV', 'development');
  if (!['development', 'production', 'test'].includes(nodeEnv)) {
    problems.push(`NODE_ENV must be development, production or test (got "${nodeEnv}")`);
  }
  const port = num('PORT', 4000, 0, 65535);
  const host = str('HOST', '0.0.0.0');
  const publicUrl = (url('PUBLIC_URL', ['http:', 'https:']) ?? `http://localhost:${port}`).replace(/\/+$/, '');
  const databaseUrl = url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const smtpUrl = url('SMTP_URL', ['smtp:', 'smtps:']);
  const dataDir = path.resolve(repoRoot, str('DATA_DIR', '.data'));
  const storageUrl = env.STORAGE_URL;
  let storageDir = path.join(dataDir, 'storage');
  if (storageUrl) {
    if (storageUrl.startsWith('file://')) storageDir = fileURLToPath(storageUrl);
    else problems.push('STORAGE_URL must be a file:// URL (S3-compatible storage is not built in yet)');
  }
  if (env.STORAGE_DIR) storageDir = path.resolve(repoRoot, env.STORAGE_DIR);

  const mailFrom = str('MAIL_FROM', 'e-mage <no-reply@e-mage.local>');
  if (!/@/.test(mailFrom)) problems.push('MAIL_FROM must contain an e-mail address');

  const config: Config = {
    env: nodeEnv as Config['env'],
    port,
    host,
    publicUrl,
    databaseUrl,
    smtpUrl,
    mailFrom,
    storageDir,
    dataDir,
    sessionIdleMinutes: num('SESSION_IDLE_MINUTES', 15, 0.05, 24 * 60),
    sessionAbsoluteHours: num('SESSION_ABSOLUTE_HOURS', 12, 0.01, 24 * 30),
    lockoutAttempts: num('LOCKOUT_ATTEMPTS', 3, 1, 100),
    lockoutMinutes: num('LOCKOUT_MINUTES', 5, 0.01, 24 * 60),
    passwordResetTtlMinutes: num('PASSWORD_RESET_TTL_MINUTES', 60, 1, 24 * 60),
    activationTtlHours: num('ACTIVATION_TTL_HOURS', 72, 1, 24 * 30),
    shareTtlHours: num('SHARE_TTL_HOURS', 72, 0.001, 24 * 30),
    supportPhone: str('SUPPORT_PHONE', '03 83 97 13 70'),
    supportEmail: str('SUPPORT_EMAIL', 'support@pulsy.fr'),
    supportLabel: str('SUPPORT_LABEL', 'Pulsy'),
    seedDemo: bool('SEED_DEMO', nodeEnv !== 'production'),
    logLevel: str('LOG_LEVEL', nodeEnv === 'test' ? 'warn' : 'info'),
    clientDir: path.resolve(repoRoot, str('CLIENT_DIR', 'client')),
    maxGraphqlBodyBytes: num('MAX_GRAPHQL_BODY_BYTES', 100_000, 1_000, 10_000_000),
    maxStowBodyBytes: num('MAX_STOW_BODY_BYTES', 2_000_000_000, 1_000, 50_000_000_000),
    maxInstanceBytes: num('MAX_INSTANCE_BYTES', 1_000_000_000, 1_000, 10_000_000_000),
    trustProxy: bool('TRUST_PROXY', false),
    rateLimitScale: num('RATE_LIMIT_SCALE', 1, 0.01, 10_000),
  };
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.logLevel)) {
    problems.push(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent`);
  }
  if (config.env === 'production' && !env.PUBLIC_URL) {
    problems.push('PUBLIC_URL is required in production (links in e-mails point to it)');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** Cookies are Secure everywhere but on a loopback HTTP URL, where browsers would drop them. */
export function cookiesAreSecure(config: Config): boolean {
  const u = new URL(config.publicUrl);
  return !(u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname));
}
