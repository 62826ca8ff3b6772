import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import proxyAddr from 'proxy-addr';
import type { S3Options } from './infra/storage/s3-storage.js';

/**
 * The one reader of process.env. Every variable is validated at start-up; all problems are
 * reported together, each with the variable's name, so an operator fixes them in one go.
 */
export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  publicUrl: string;
  /** Unset: an embedded PostgreSQL is started with its data under dataDir (never in production). */
  databaseUrl: string | undefined;
  /** Unset: a built-in SMTP catcher is started and its mailbox served at /dev/mailbox (never in production). */
  smtpUrl: string | undefined;
  mailFrom: string;
  /** SMTP_ALLOW_PLAINTEXT: mail may leave without TLS (a loopback relay only, in production). */
  smtpAllowPlaintext: boolean;
  /** SMTP_TIMEOUT_SECONDS: connection, greeting and inactivity limit; a send is abandoned after 3×. */
  smtpTimeoutMs: number;
  /** MAIL_MAX_ATTEMPTS: a mail not sent after this many attempts fails for good. */
  mailMaxAttempts: number;
  /** MAIL_RETRY_BASE_SECONDS: first back-off, doubled at each attempt (at most one hour). */
  mailRetryBaseMs: number;
  /** Filesystem storage (the default), unless `s3` is set. */
  storageDir: string;
  /** STORAGE_URL=s3://bucket[/prefix]: DICOM files in an S3-compatible store. */
  s3: S3Options | undefined;
  dataDir: string;
  sessionIdleMinutes: number;
  sessionAbsoluteHours: number;
  lockoutAttempts: number;
  lockoutMinutes: number;
  /** MFA_PHYSICIANS: whether physicians must enrol a second factor (ADR 0127). */
  mfaPhysicians: 'required' | 'optional';
  /** MFA_STAFF: administrators and analysts must; `grace` lets them in without one, outside production only (ADR 0127). */
  mfaStaff: 'required' | 'grace';
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
  /** Which peers may set X-Forwarded-For (infra/http/client-address.ts). */
  trustProxy: TrustProxy;
  /** Multiplies every rate limit (tests from one loopback address raise it). */
  rateLimitScale: number;
  /** METRICS_PORT: Prometheus metrics on their own listener; unset, none is opened (ADR 0111). */
  metricsPort: number | undefined;
  /** METRICS_HOST: the metrics listener's address, loopback unless the operator chooses another. */
  metricsHost: string;
  /** SHUTDOWN_DRAIN_SECONDS: how long a stopping server lets in-flight requests finish (ADR 0112). */
  shutdownDrainMs: number;
  /** SHUTDOWN_DELAY_SECONDS: how long a stopping server keeps serving, /readyz at 503, before it stops listening (ADR 0116). */
  shutdownDelayMs: number;
  /** PSC_ISSUER_URL, PSC_CLIENT_ID, PSC_CLIENT_SECRET: Pro Santé Connect login; unset, none is offered (ADR 0123). */
  psc: PscConfig | undefined;
  /** OTEL_TRACES=1 or OTEL_EXPORTER_OTLP_ENDPOINT: OpenTelemetry traces to that collector; unset, none (ADR 0122). */
  tracing: { endpoint: string; serviceName: string } | undefined;
}

export interface PscConfig {
  issuerUrl: string;
  clientId: string;
  clientSecret: string;
  /** Where the provider sends the browser back: PUBLIC_URL + /api/auth/psc/callback. */
  redirectUrl: string;
  /** Where the provider's logout sends the browser back: the login page. */
  postLogoutRedirectUrl: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const here = path.dirname(fileURLToPath(import.meta.url));
/**
 * The proxies in front of the portal: how many hops (0: the peer is the client), or the
 * addresses and CIDR ranges (and proxy-addr's loopback, linklocal, uniquelocal) of the trusted
 * ones. Never "every hop": a client would then choose its own address.
 */
export type TrustProxy = number | string[];

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
  const oneOf = <T extends string>(name: string, values: readonly T[], fallback: T): T => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if ((values as readonly string[]).includes(raw)) return raw as T;
    problems.push(`${name} must be one of ${values.join(', ')} (got "${raw}")`);
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
  let s3: S3Options | undefined;
  if (storageUrl) {
    if (storageUrl.startsWith('file://')) storageDir = fileURLToPath(storageUrl);
    else if (storageUrl.startsWith('s3://')) {
      s3 = s3Options(env, storageUrl, problems);
      if (env.STORAGE_DIR) problems.push('STORAGE_DIR and an s3:// STORAGE_URL are both set: keep one');
    } else problems.push('STORAGE_URL must be a file:// or s3:// URL');
  }
  if (env.STORAGE_DIR) storageDir = path.resolve(repoRoot, env.STORAGE_DIR);

  const mailFrom = str('MAIL_FROM', 'e-mage <no-reply@e-mage.local>');
  if (!/@/.test(mailFrom)) problems.push('MAIL_FROM must contain an e-mail address');
  const smtpAllowPlaintext = bool('SMTP_ALLOW_PLAINTEXT', false);
  // Reset and share links travel in these mails: in production, plaintext only to a relay on the
  // same host (a sidecar), whose traffic never crosses a network (ADR 0101).
  if (smtpAllowPlaintext && nodeEnv === 'production' && smtpUrl && !isLoopbackUrl(smtpUrl)) {
    problems.push('SMTP_ALLOW_PLAINTEXT=true is refused in production unless SMTP_URL is a relay on loopback (127.0.0.1, ::1, localhost): use smtps:// or a relay that offers STARTTLS');
  }

  const config: Config = {
    env: nodeEnv as Config['env'],
    port,
    host,
    publicUrl,
    databaseUrl,
    smtpUrl,
    mailFrom,
    smtpAllowPlaintext,
    smtpTimeoutMs: num('SMTP_TIMEOUT_SECONDS', 30, 0.1, 600) * 1000,
    mailMaxAttempts: num('MAIL_MAX_ATTEMPTS', 12, 1, 100),
    mailRetryBaseMs: num('MAIL_RETRY_BASE_SECONDS', 5, 0.05, 3600) * 1000,
    storageDir,
    s3,
    dataDir,
    sessionIdleMinutes: num('SESSION_IDLE_MINUTES', 15, 0.05, 24 * 60),
    sessionAbsoluteHours: num('SESSION_ABSOLUTE_HOURS', 12, 0.01, 24 * 30),
    lockoutAttempts: num('LOCKOUT_ATTEMPTS', 3, 1, 100),
    lockoutMinutes: num('LOCKOUT_MINUTES', 5, 0.01, 24 * 60),
    mfaPhysicians: oneOf('MFA_PHYSICIANS', ['required', 'optional'], 'optional'),
    mfaStaff: oneOf('MFA_STAFF', ['required', 'grace'], nodeEnv === 'production' ? 'required' : 'grace'),
    passwordResetTtlMinutes: num('PASSWORD_RESET_TTL_MINUTES', 60, 1, 24 * 60),
    activationTtlHours: num('ACTIVATION_TTL_HOURS', 72, 1, 24 * 30),
    shareTtlHours: num('SHARE_TTL_HOURS', 72, 0.001, 24 * 30),
    supportPhone: str('SUPPORT_PHONE', '03 83 97 13 70'),
    supportEmail: str('SUPPORT_EMAIL', 'support@pulsy.fr'),
    supportLabel: str('SUPPORT_LABEL', 'Pulsy'),
    // Demo accounts (an administrator among them, with the README's password) only where no one
    // can take them for real: the embedded database, or when asked for (docs/adr/0093).
    seedDemo: bool('SEED_DEMO', nodeEnv !== 'production' && !databaseUrl),
    logLevel: str('LOG_LEVEL', nodeEnv === 'test' ? 'warn' : 'info'),
    clientDir: path.resolve(repoRoot, str('CLIENT_DIR', 'client')),
    maxGraphqlBodyBytes: num('MAX_GRAPHQL_BODY_BYTES', 100_000, 1_000, 10_000_000),
    maxStowBodyBytes: num('MAX_STOW_BODY_BYTES', 2_000_000_000, 1_000, 50_000_000_000),
    maxInstanceBytes: num('MAX_INSTANCE_BYTES', 1_000_000_000, 1_000, 10_000_000_000),
    trustProxy: trustProxyOf(env.TRUST_PROXY, problems),
    rateLimitScale: num('RATE_LIMIT_SCALE', 1, 0.01, 10_000),
    metricsPort: env.METRICS_PORT ? num('METRICS_PORT', 0, 1, 65535) : undefined,
    metricsHost: str('METRICS_HOST', '127.0.0.1'),
    shutdownDrainMs: num('SHUTDOWN_DRAIN_SECONDS', 25, 0, 600) * 1000,
    shutdownDelayMs: num('SHUTDOWN_DELAY_SECONDS', 0, 0, 60) * 1000,
    psc: pscOf(env, publicUrl, nodeEnv, problems),
    tracing: bool('OTEL_TRACES', !!env.OTEL_EXPORTER_OTLP_ENDPOINT)
      ? { endpoint: url('OTEL_EXPORTER_OTLP_ENDPOINT', ['http:', 'https:']) ?? 'http://localhost:4318', serviceName: str('OTEL_SERVICE_NAME', 'e-mage') }
      : undefined,
  };
  if (config.metricsPort !== undefined && config.metricsPort === config.port && config.port !== 0) {
    problems.push(`METRICS_PORT must differ from PORT (${config.port}): metrics are never served on the public port`);
  }
  if (config.metricsPort !== undefined && !Number.isInteger(config.metricsPort)) problems.push(`METRICS_PORT must be a whole port number (got "${env.METRICS_PORT}")`);
  if (env.METRICS_HOST && config.metricsPort === undefined) problems.push('METRICS_HOST is set but METRICS_PORT is not: set METRICS_PORT to open the metrics listener');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.logLevel)) {
    problems.push(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent`);
  }
  if (config.env === 'production') problems.push(...productionProblems(env, config));
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * STORAGE_URL=s3://bucket[/prefix], with S3_ENDPOINT (default AWS in S3_REGION), S3_REGION
 * (default AWS_REGION, then us-east-1), S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY and S3_SESSION_TOKEN
 * (or, when none of them is set, the AWS_… ones), S3_FORCE_PATH_STYLE (default: true with S3_ENDPOINT or a
 * bucket name with dots).
 * Credentials never go in the URL: it is printed in logs and process listings.
 */
function s3Options(env: Env, storageUrl: string, problems: string[]): S3Options | undefined {
  const get = (...names: string[]): string | undefined => names.map((n) => env[n]).find((v) => v !== undefined && v !== '');
  const match = /^s3:\/\/([^/?#]+)(\/[^?#]*)?$/.exec(storageUrl);
  if (!match) {
    problems.push('STORAGE_URL must be s3://bucket or s3://bucket/prefix');
    return undefined;
  }
  const bucket = match[1] ?? '';
  const rawPrefix = match[2] ?? '';
  if (bucket.includes('@')) problems.push('STORAGE_URL must not hold credentials: set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY');
  else if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) problems.push(`STORAGE_URL: "${bucket}" is not a valid S3 bucket name`);
  const prefix = rawPrefix.replace(/^\/+|\/+$/g, '');
  if (prefix && (!/^[A-Za-z0-9._/-]+$/.test(prefix) || prefix.split('/').some((part) => part === '.' || part === '..' || part === ''))) problems.push('STORAGE_URL: the prefix may hold only letters, digits, ".", "_", "-" and "/", and no empty, "." or ".." segment');
  const region = get('S3_REGION', 'AWS_REGION') ?? 'us-east-1';
  if (!/^[a-z0-9-]+$/.test(region)) problems.push(`S3_REGION must be a region name such as eu-west-3 (got "${region}")`);
  const endpoint = get('S3_ENDPOINT');
  if (endpoint) {
    try {
      const u = new URL(endpoint);
      if (!['http:', 'https:'].includes(u.protocol)) problems.push(`S3_ENDPOINT must use http: or https: (got "${u.protocol}")`);
      if (u.username || u.password) problems.push('S3_ENDPOINT must not hold credentials');
    } catch {
      problems.push('S3_ENDPOINT is not a valid URL');
    }
  }
  // One family of credentials, never a mix: S3_* when any is set (a MinIO key must not be sent
  // with an AWS session token that happens to be in the environment), the AWS_* ones otherwise.
  const family = get('S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'S3_SESSION_TOKEN') !== undefined ? 'S3' : 'AWS';
  const accessKeyId = get(`${family}_ACCESS_KEY_ID`);
  const secretAccessKey = get(`${family}_SECRET_ACCESS_KEY`);
  const sessionToken = get(`${family}_SESSION_TOKEN`);
  if (!accessKeyId || !secretAccessKey) problems.push('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) are required with an s3:// STORAGE_URL');
  const forcePathStyle = env.S3_FORCE_PATH_STYLE;
  // A bucket name with dots does not match the store's TLS certificate as a host name: path style.
  let pathStyle = !!endpoint || bucket.includes('.');
  if (forcePathStyle !== undefined && forcePathStyle !== '') {
    if (['1', 'true', 'yes', 'on'].includes(forcePathStyle.toLowerCase())) pathStyle = true;
    else if (['0', 'false', 'no', 'off'].includes(forcePathStyle.toLowerCase())) pathStyle = false;
    else problems.push(`S3_FORCE_PATH_STYLE must be true or false (got "${forcePathStyle}")`);
  }
  return {
    endpoint: endpoint ?? `https://s3.${region}.amazonaws.com`,
    region,
    bucket,
    prefix: prefix ? `${prefix}/` : '',
    credentials: { accessKeyId: accessKeyId ?? '', secretAccessKey: secretAccessKey ?? '', sessionToken },
    pathStyle,
  };
}

/**
 * Production fails closed (docs/adr/0093): whatever a development machine gets by default (the
 * embedded database, the mail catcher and its web mailbox, files under the checkout, demo
 * accounts) is refused, as is what would let a client choose its address or a browser use HTTP.
 */
function productionProblems(env: Env, config: Config): string[] {
  const problems: string[] = [];
  if (!env.PUBLIC_URL) problems.push('PUBLIC_URL is required in production (links in e-mails point to it)');
  else if (!config.publicUrl.startsWith('https://')) problems.push('PUBLIC_URL must be an https:// URL in production (sessions and reset links must not travel in clear)');
  if (!config.databaseUrl) problems.push('DATABASE_URL is required in production (the embedded PostgreSQL is for a development machine)');
  if (!config.smtpUrl) problems.push('SMTP_URL is required in production (without it the built-in catcher would keep reset and share links and show them at /dev/mailbox)');
  if (config.seedDemo) problems.push('SEED_DEMO must be false in production (demo accounts have a published password)');
  if (config.mfaStaff !== 'required') problems.push('MFA_STAFF=grace is refused in production: administrators and analysts log in with a second factor');
  if (env.TRUST_PROXY === undefined || env.TRUST_PROXY === '') {
    problems.push('TRUST_PROXY is required in production: the number of proxies in front of the portal (1 behind one load balancer), their addresses, or 0 when clients connect directly');
  }
  if (!env.STORAGE_DIR && !env.STORAGE_URL) {
    problems.push('STORAGE_DIR or STORAGE_URL is required in production (by default the DICOM files would be under DATA_DIR, on a development machine\'s disk)');
  } else if (!config.s3) {
    const name = env.STORAGE_DIR ? 'STORAGE_DIR' : 'STORAGE_URL';
    const fromApp = path.relative(repoRoot, config.storageDir);
    if (env.STORAGE_DIR && !path.isAbsolute(env.STORAGE_DIR)) problems.push(`STORAGE_DIR must be an absolute path in production (got "${env.STORAGE_DIR}")`);
    else if (!fromApp.startsWith('..') && !path.isAbsolute(fromApp)) problems.push(`${name} must be outside the application directory ${repoRoot} in production (each deployment replaces it)`);
    else if (!isWritableDirectory(config.storageDir)) problems.push(`${name}: ${config.storageDir} is not an existing writable directory (in production the portal never creates it: mount the volume there)`);
  }
  return problems;
}

/**
 * Pro Santé Connect is configured by all three variables or none: a partial set is a mistake in
 * any environment, never a login button that fails. In production the issuer must be https.
 */
function pscOf(env: Env, publicUrl: string, nodeEnv: string, problems: string[]): PscConfig | undefined {
  const names = ['PSC_ISSUER_URL', 'PSC_CLIENT_ID', 'PSC_CLIENT_SECRET'] as const;
  const [issuerUrl, clientId, clientSecret] = names.map((n) => env[n] ?? '');
  const missing = names.filter((n) => !env[n]);
  if (missing.length === names.length) return undefined;
  if (missing.length > 0) {
    problems.push(`${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} required with ${names.filter((n) => env[n]).join(', ')}: Pro Santé Connect needs PSC_ISSUER_URL, PSC_CLIENT_ID and PSC_CLIENT_SECRET together`);
    return undefined;
  }
  let protocol: string;
  try {
    protocol = new URL(issuerUrl ?? '').protocol;
  } catch {
    problems.push('PSC_ISSUER_URL is not a valid URL');
    return undefined;
  }
  if (!['http:', 'https:'].includes(protocol)) problems.push(`PSC_ISSUER_URL must use https: (got "${protocol}")`);
  else if (nodeEnv === 'production' && protocol !== 'https:') problems.push('PSC_ISSUER_URL must be an https:// URL in production (tokens and the client secret must not travel in clear)');
  return {
    issuerUrl: issuerUrl ?? '',
    clientId: clientId ?? '',
    clientSecret: clientSecret ?? '',
    redirectUrl: `${publicUrl}/api/auth/psc/callback`,
    postLogoutRedirectUrl: `${publicUrl}/connexion`,
  };
}

function isWritableDirectory(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

function trustProxyOf(raw: string | undefined, problems: string[]): TrustProxy {
  const value = raw?.trim() ?? '';
  if (value === '') return 0;
  if (['true', 'yes', 'on'].includes(value.toLowerCase())) {
    problems.push('TRUST_PROXY=true would trust every hop, so a client could choose its own address in X-Forwarded-For: give the number of proxies in front of the portal (e.g. 1) or their addresses');
    return 0;
  }
  if (['false', 'no', 'off'].includes(value.toLowerCase())) return 0;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > 10) problems.push(`TRUST_PROXY must be a number of proxies between 0 and 10 (got "${value}")`);
    return hops;
  }
  const list = value.split(',').map((a) => a.trim()).filter((a) => a !== '');
  const bad = list.filter((a) => {
    try {
      proxyAddr.compile(a);
      return false;
    } catch {
      return true;
    }
  });
  if (bad.length) problems.push(`TRUST_PROXY must be a number of proxies or a comma-separated list of addresses or CIDR ranges (not ${bad.map((a) => `"${a}"`).join(', ')})`);
  return list;
}

function isLoopbackUrl(raw: string): boolean {
  try {
    const host = new URL(raw).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
}

/** Cookies are Secure everywhere but on a loopback HTTP URL, where browsers would drop them. */
export function cookiesAreSecure(config: Config): boolean {
  const u = new URL(config.publicUrl);
  return !(u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname));
}
