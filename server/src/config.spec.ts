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
