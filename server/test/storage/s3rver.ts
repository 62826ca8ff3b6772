import { createRequire } from 'node:module';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

/**
 * An S3-compatible server on loopback for the S3 storage's tests: s3rver, a third-party
 * implementation of S3's REST API on the filesystem (objects, Range, HEAD, DELETE, S3's XML
 * errors). AWS S3 and MinIO cannot run here; s3rver does not check V4 signatures, which
 * sigv4.spec.ts checks against AWS's published examples instead.
 */
export interface S3Double {
  endpoint: string;
  bucket: string;
  /** Where s3rver keeps the objects (bucket/key…). */
  directory: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}

export async function startS3Double(bucket = 'emage-test'): Promise<S3Double> {
  const require = createRequire(import.meta.url);
  const S3rver = require('s3rver') as new (options: object) => S3rverInstance;
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'emage-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    directory,
    // s3rver's own account: it refuses access key ids it does not know.
    env: { S3_ENDPOINT: endpoint, S3_REGION: 'us-east-1', S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER' },
    async stop() {
      await server.close();
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}
