import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, repoRoot } from './config.js';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
};
const keys = { S3_ACCESS_KEY_ID: 'AKIDEXAMPLE', S3_SECRET_ACCESS_KEY: 'secret-example' };

describe('STORAGE_URL', () => {
  it('defaults to files under DATA_DIR, and takes a file:// URL', () => {
    expect(loadConfig({ DATA_DIR: '/var/lib/e-mage' })).toMatchObject({ storageDir: '/var/lib/e-mage/storage', s3: undefined });
    expect(loadConfig({ STORAGE_URL: 'file:///srv/dicom' })).toMatchObject({ storageDir: '/srv/dicom', s3: undefined });
  });

  it('s3:// on AWS: the region’s endpoint, virtual-hosted buckets, the AWS_ variables as fallback', () => {
    const { s3 } = loadConfig({ STORAGE_URL: 's3://chu-imagerie/e-mage/', AWS_REGION: 'eu-west-3', AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'S', AWS_SESSION_TOKEN: 'T' });
    expect(s3).toEqual({
      endpoint: 'https://s3.eu-west-3.amazonaws.com',
      region: 'eu-west-3',
      bucket: 'chu-imagerie',
      prefix: 'e-mage/',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'S', sessionToken: 'T' },
      pathStyle: false,
    });
  });

  it('s3:// on premises (MinIO): its endpoint, path-style unless told otherwise', () => {
    expect(loadConfig({ STORAGE_URL: 's3://dicom', S3_ENDPOINT: 'http://minio:9000', ...keys }).s3).toMatchObject({ endpoint: 'http://minio:9000', region: 'us-east-1', prefix: '', pathStyle: true });
    expect(loadConfig({ STORAGE_URL: 's3://dicom', S3_ENDPOINT: 'https://s3.ovh.example', S3_FORCE_PATH_STYLE: 'false', ...keys }).s3?.pathStyle).toBe(false);
    // A dotted bucket name would not match AWS's wildcard certificate as a host name.
    expect(loadConfig({ STORAGE_URL: 's3://imagerie.chu.example', ...keys }).s3?.pathStyle).toBe(true);
  });

  it('takes the S3_* credentials or the AWS_* ones, never half of each', () => {
    const env = { STORAGE_URL: 's3://dicom', S3_ENDPOINT: 'http://minio:9000', AWS_ACCESS_KEY_ID: 'AWS-ID', AWS_SECRET_ACCESS_KEY: 'AWS-SECRET', AWS_SESSION_TOKEN: 'AWS-TOKEN' };
    expect(loadConfig({ ...env, ...keys }).s3?.credentials).toEqual({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret-example', sessionToken: undefined });
    expect(loadConfig(env).s3?.credentials).toEqual({ accessKeyId: 'AWS-ID', secretAccessKey: 'AWS-SECRET', sessionToken: 'AWS-TOKEN' });
    expect(problemsOf({ ...env, S3_ACCESS_KEY_ID: 'half' })).toEqual(['S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) are required with an s3:// STORAGE_URL']);
  });

  it('reports every mistake by name, and never echoes a secret', () => {
    expect(problemsOf({ STORAGE_URL: 'ftp://x' })).toEqual(['STORAGE_URL must be a file:// or s3:// URL']);
    expect(problemsOf({ STORAGE_URL: 's3://dicom' })).toEqual(['S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) are required with an s3:// STORAGE_URL']);
    const withSecret = problemsOf({ STORAGE_URL: 's3://AKID:very-secret@dicom', ...keys });
    expect(withSecret).toEqual(['STORAGE_URL must not hold credentials: set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY']);
    expect(withSecret.join(' ')).not.toContain('very-secret');
    expect(problemsOf({ STORAGE_URL: 's3://Bad_Bucket', ...keys })).toEqual(['STORAGE_URL: "Bad_Bucket" is not a valid S3 bucket name']);
    expect(problemsOf({ STORAGE_URL: 's3://dicom/a/../b', ...keys })[0]).toMatch(/^STORAGE_URL: the prefix may hold only/);
    expect(problemsOf({ STORAGE_URL: 's3://dicom', S3_ENDPOINT: 'minio:9000', ...keys })).toEqual(['S3_ENDPOINT must use http: or https: (got "minio:")']);
    expect(problemsOf({ STORAGE_URL: 's3://dicom', S3_ENDPOINT: 'http://k:s@minio:9000', ...keys })).toEqual(['S3_ENDPOINT must not hold credentials']);
    expect(problemsOf({ STORAGE_URL: 's3://dicom', S3_FORCE_PATH_STYLE: 'maybe', S3_REGION: 'EU West', ...keys })).toEqual([
      'S3_REGION must be a region name such as eu-west-3 (got "EU West")',
      'S3_FORCE_PATH_STYLE must be true or false (got "maybe")',
    ]);
    expect(problemsOf({ STORAGE_URL: 's3://dicom', STORAGE_DIR: '/srv/dicom', ...keys })).toEqual(['STORAGE_DIR and an s3:// STORAGE_URL are both set: keep one']);
  });
});

describe('production fails closed', () => {
  let volume: string;
  beforeAll(() => {
    volume = fs.mkdtempSync(path.join(os.tmpdir(), 'emage-volume-'));
  });
  afterAll(() => fs.rmSync(volume, { recursive: true, force: true }));
  const production = (): Record<string, string> => ({
    NODE_ENV: 'production',
    PUBLIC_URL: 'https://imagerie.example.org',
    DATABASE_URL: 'postgres://emage@db.example.org/emage',
    SMTP_URL: 'smtps://relay.example.org:465',
    TRUST_PROXY: '1',
    STORAGE_DIR: volume,
  });
  const without = (name: string): Record<string, string> => {
    const env = production();
    delete env[name];
    return env;
  };

  it('starts with a complete production environment, without demo accounts', () => {
    expect(problemsOf(production())).toEqual([]);
    expect(loadConfig(production())).toMatchObject({ seedDemo: false, trustProxy: 1, storageDir: volume });
  });

  it('names each missing variable: PUBLIC_URL, DATABASE_URL, SMTP_URL, TRUST_PROXY, storage', () => {
    for (const name of ['PUBLIC_URL', 'DATABASE_URL', 'SMTP_URL', 'TRUST_PROXY', 'STORAGE_DIR']) {
      const problems = problemsOf(without(name));
      expect(problems, name).toHaveLength(1);
      expect(problems[0], name).toMatch(new RegExp(`^${name}\\b.*required in production`));
    }
    // Everything missing at once: all reported together.
    expect(problemsOf({ NODE_ENV: 'production' })).toHaveLength(5);
  });

  it('refuses PUBLIC_URL over plain HTTP', () => {
    expect(problemsOf({ ...production(), PUBLIC_URL: 'http://imagerie.example.org' })).toEqual([
      'PUBLIC_URL must be an https:// URL in production (sessions and reset links must not travel in clear)',
    ]);
  });

  it('refuses storage that is relative, inside the application directory, or not a mounted directory', () => {
    expect(problemsOf({ ...production(), STORAGE_DIR: 'storage' })).toEqual(['STORAGE_DIR must be an absolute path in production (got "storage")']);
    expect(problemsOf({ ...production(), STORAGE_DIR: path.join(repoRoot, '.data', 'storage') })[0]).toMatch(/^STORAGE_DIR must be outside the application directory/);
    expect(problemsOf({ ...without('STORAGE_DIR'), STORAGE_URL: `file://${repoRoot}/.data/storage` })[0]).toMatch(/^STORAGE_URL must be outside the application directory/);
    expect(problemsOf({ ...production(), STORAGE_DIR: path.join(volume, 'not-mounted') })[0]).toMatch(/^STORAGE_DIR: .*not-mounted is not an existing writable directory/);
    // DATA_DIR alone is not enough: the files' place is chosen, not defaulted.
    expect(problemsOf({ ...without('STORAGE_DIR'), DATA_DIR: volume })[0]).toMatch(/^STORAGE_DIR or STORAGE_URL is required in production/);
    expect(problemsOf({ ...without('STORAGE_DIR'), STORAGE_URL: 's3://dicom', S3_ENDPOINT: 'https://s3.example.org', ...keys })).toEqual([]);
  });

  it('never seeds demo accounts, even when asked', () => {
    expect(problemsOf({ ...production(), SEED_DEMO: 'true' })).toEqual(['SEED_DEMO must be false in production (demo accounts have a published password)']);
  });

  it('requires a second factor of administrators and analysts: no grace (ADR 0127)', () => {
    expect(loadConfig(production())).toMatchObject({ mfaStaff: 'required', mfaPhysicians: 'optional' });
    expect(problemsOf({ ...production(), MFA_STAFF: 'grace' })).toEqual(['MFA_STAFF=grace is refused in production: administrators and analysts log in with a second factor']);
  });
});

describe('TRUST_PROXY', () => {
  it('takes a hop count or a list of addresses and CIDR ranges', () => {
    expect(loadConfig({}).trustProxy).toBe(0);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(0);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.10,::1' }).trustProxy).toEqual(['10.0.0.0/8', '192.168.1.10', '::1']);
    expect(loadConfig({ TRUST_PROXY: 'loopback' }).trustProxy).toEqual(['loopback']);
  });

  it('refuses "every hop" wherever the server runs, and anything that is not an address', () => {
    for (const value of ['true', 'TRUE', 'on']) expect(problemsOf({ TRUST_PROXY: value })[0], value).toMatch(/^TRUST_PROXY=true would trust every hop/);
    // proxy-addr itself refuses a /0 range ("every address").
    expect(problemsOf({ TRUST_PROXY: '0.0.0.0/0' })).toEqual(['TRUST_PROXY must be a number of proxies or a comma-separated list of addresses or CIDR ranges (not "0.0.0.0/0")']);
    expect(problemsOf({ TRUST_PROXY: '10.0.0.0/8,proxy.example.org' })).toEqual([
      'TRUST_PROXY must be a number of proxies or a comma-separated list of addresses or CIDR ranges (not "proxy.example.org")',
    ]);
    expect(problemsOf({ TRUST_PROXY: '99' })).toEqual(['TRUST_PROXY must be a number of proxies between 0 and 10 (got "99")']);
  });
});

describe('SEED_DEMO', () => {
  it('defaults to demo data on the embedded database only, unless asked for', () => {
    expect(loadConfig({}).seedDemo).toBe(true);
    expect(loadConfig({ NODE_ENV: 'test' }).seedDemo).toBe(true);
    // An operator's own database, NODE_ENV forgotten: no administrator with the README's password.
    expect(loadConfig({ DATABASE_URL: 'postgres://emage@db.example.org/emage' }).seedDemo).toBe(false);
    expect(loadConfig({ DATABASE_URL: 'postgres://emage@db.example.org/emage', SEED_DEMO: 'true' }).seedDemo).toBe(true);
    expect(loadConfig({ SEED_DEMO: 'false' }).seedDemo).toBe(false);
  });
});

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

describe('metrics listener settings (ADR 0111)', () => {
  it('no metrics listener unless METRICS_PORT is set, and on loopback unless METRICS_HOST says otherwise', () => {
    expect(loadConfig({})).toMatchObject({ metricsPort: undefined, metricsHost: '127.0.0.1' });
    expect(loadConfig({ METRICS_PORT: '9464' })).toMatchObject({ metricsPort: 9464, metricsHost: '127.0.0.1' });
    expect(loadConfig({ METRICS_PORT: '9464', METRICS_HOST: '10.0.0.5' })).toMatchObject({ metricsPort: 9464, metricsHost: '10.0.0.5' });
  });

  it('never on the public port, and every mistake named', () => {
    expect(problemsOf({ PORT: '4000', METRICS_PORT: '4000' })).toEqual(['METRICS_PORT must differ from PORT (4000): metrics are never served on the public port']);
    expect(problemsOf({ METRICS_PORT: '0' })).toEqual(['METRICS_PORT must be a number between 1 and 65535 (got "0")']);
    expect(problemsOf({ METRICS_PORT: '94.5' })).toEqual(['METRICS_PORT must be a whole port number (got "94.5")']);
    expect(problemsOf({ METRICS_HOST: '0.0.0.0' })).toEqual(['METRICS_HOST is set but METRICS_PORT is not: set METRICS_PORT to open the metrics listener']);
  });
});

describe('shutdown drain (ADR 0112)', () => {
  it('25 s by default, configurable, bounded', () => {
    expect(loadConfig({}).shutdownDrainMs).toBe(25_000);
    expect(loadConfig({ SHUTDOWN_DRAIN_SECONDS: '3' }).shutdownDrainMs).toBe(3_000);
    expect(problemsOf({ SHUTDOWN_DRAIN_SECONDS: '-1' })).toEqual(['SHUTDOWN_DRAIN_SECONDS must be a number between 0 and 600 (got "-1")']);
  });

  it('no delay before the listener closes by default; one for a balancer to see /readyz fail (ADR 0116)', () => {
    expect(loadConfig({}).shutdownDelayMs).toBe(0);
    expect(loadConfig({ SHUTDOWN_DELAY_SECONDS: '5' }).shutdownDelayMs).toBe(5_000);
    expect(problemsOf({ SHUTDOWN_DELAY_SECONDS: '61' })).toEqual(['SHUTDOWN_DELAY_SECONDS must be a number between 0 and 60 (got "61")']);
  });
});

describe('Pro Santé Connect (ADR 0123)', () => {
  const psc = { PSC_ISSUER_URL: 'https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet', PSC_CLIENT_ID: 'e-mage', PSC_CLIENT_SECRET: 'psc-secret' };

  it('is off without its variables, on with all three; the redirect URLs come from PUBLIC_URL', () => {
    expect(loadConfig({}).psc).toBeUndefined();
    expect(loadConfig({ ...psc, PUBLIC_URL: 'https://imagerie.example/' }).psc).toEqual({
      issuerUrl: psc.PSC_ISSUER_URL,
      clientId: 'e-mage',
      clientSecret: 'psc-secret',
      redirectUrl: 'https://imagerie.example/api/auth/psc/callback',
      postLogoutRedirectUrl: 'https://imagerie.example/connexion',
    });
  });

  it('refuses a partial set, naming what is missing and never the secret', () => {
    const problems = problemsOf({ PSC_ISSUER_URL: psc.PSC_ISSUER_URL, PSC_CLIENT_SECRET: 'psc-secret' });
    expect(problems).toEqual(['PSC_CLIENT_ID is required with PSC_ISSUER_URL, PSC_CLIENT_SECRET: Pro Santé Connect needs PSC_ISSUER_URL, PSC_CLIENT_ID and PSC_CLIENT_SECRET together']);
    expect(problems.join(' ')).not.toContain('psc-secret');
    expect(problemsOf({ PSC_CLIENT_ID: 'e-mage' })[0]).toMatch(/^PSC_ISSUER_URL, PSC_CLIENT_SECRET are required with PSC_CLIENT_ID/);
    expect(problemsOf({ ...psc, PSC_ISSUER_URL: 'not a url' })).toEqual(['PSC_ISSUER_URL is not a valid URL']);
  });

  it('in production, refuses a partial set and a plain-HTTP issuer among the other problems', () => {
    const production = problemsOf({ NODE_ENV: 'production', ...psc, PSC_ISSUER_URL: 'http://psc.example' });
    expect(production).toContain('PSC_ISSUER_URL must be an https:// URL in production (tokens and the client secret must not travel in clear)');
    expect(problemsOf({ NODE_ENV: 'production', PSC_CLIENT_ID: 'e-mage' }).some((p) => p.startsWith('PSC_ISSUER_URL, PSC_CLIENT_SECRET are required'))).toBe(true);
    expect(problemsOf({ ...psc, PSC_ISSUER_URL: 'http://127.0.0.1:9000' })).toEqual([]);
  });
});

describe('MFA_STAFF and MFA_PHYSICIANS', () => {
  it('grace for staff outside production by default, physicians optional; each value checked', () => {
    expect(loadConfig({})).toMatchObject({ mfaStaff: 'grace', mfaPhysicians: 'optional' });
    expect(loadConfig({ MFA_STAFF: 'required', MFA_PHYSICIANS: 'required' })).toMatchObject({ mfaStaff: 'required', mfaPhysicians: 'required' });
    expect(problemsOf({ MFA_STAFF: 'off', MFA_PHYSICIANS: 'yes' })).toEqual([
      'MFA_PHYSICIANS must be one of required, optional (got "yes")',
      'MFA_STAFF must be one of required, grace (got "off")',
    ]);
  });
});
