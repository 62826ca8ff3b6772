import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Storage } from '../../src/infra/storage/s3-storage.js';
import { startS3Double, type S3Double } from './s3rver.js';

describe('S3Storage against an S3-compatible server on loopback', () => {
  let s3: S3Double;
  let storage: S3Storage;
  const open = (over: Partial<ConstructorParameters<typeof S3Storage>[0]> = {}) =>
    new S3Storage({ endpoint: s3.endpoint, region: 'us-east-1', bucket: s3.bucket, prefix: 'dicom/', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, pathStyle: true, ...over });

  beforeAll(async () => {
    s3 = await startS3Double();
    storage = open();
  });
  afterAll(async () => {
    storage?.close();
    await s3?.stop();
  });

  it('stores an object under the prefix and reads it back whole, with its size', async () => {
    const data = randomBytes(300_000);
    await storage.put('studies/1.2.3/a.dcm', data);
    expect(await storage.readAll('studies/1.2.3/a.dcm')).toEqual(data);
    expect(await storage.size('studies/1.2.3/a.dcm')).toBe(300_000);
    expect(await storage.exists('studies/1.2.3/a.dcm')).toBe(true);
    // Under the prefix in the bucket, nowhere else.
    const unprefixed = open({ prefix: '' });
    expect(await unprefixed.exists('studies/1.2.3/a.dcm')).toBe(false);
    expect(await unprefixed.size('dicom/studies/1.2.3/a.dcm')).toBe(300_000);
    unprefixed.close();
  });

  it('reads byte ranges into the caller’s buffer, in the order given: near ones together, far ones apart', async () => {
    const data = randomBytes(400_000);
    await storage.put('b/ranges.dcm', data);
    const target = Buffer.alloc(5 + 100 + 50 + 70 + 5, 0xff);
    // A frame's fragments (8 bytes apart), then one 300 kB further on, then one before them all.
    await storage.readRangesInto('b/ranges.dcm', [[1000, 100], [1108, 50], [350_000, 40], [0, 30]], target, 5);
    expect(target.subarray(0, 5)).toEqual(Buffer.alloc(5, 0xff));
    expect(target.subarray(5, 105)).toEqual(data.subarray(1000, 1100));
    expect(target.subarray(105, 155)).toEqual(data.subarray(1108, 1158));
    expect(target.subarray(155, 195)).toEqual(data.subarray(350_000, 350_040));
    expect(target.subarray(195, 225)).toEqual(data.subarray(0, 30));
    expect(target.subarray(225)).toEqual(Buffer.alloc(5, 0xff));
    expect(await storage.readRanges('b/ranges.dcm', [[399_904, 96]])).toEqual(data.subarray(399_904));
  });

  it('refuses a range past the end of the object', async () => {
    await storage.put('c/short.dcm', Buffer.alloc(16, 7));
    await expect(storage.readRanges('c/short.dcm', [[8, 16]])).rejects.toThrow('Stored object shorter than its index');
    await expect(storage.readRanges('c/short.dcm', [[64, 4]])).rejects.toThrow('Stored object shorter than its index');
  });

  it('overwrites a key, and a deleted or missing key reads as missing', async () => {
    await storage.put('d/two.dcm', Buffer.alloc(64, 1));
    await storage.put('d/two.dcm', Buffer.alloc(32, 2));
    expect(await storage.readAll('d/two.dcm')).toEqual(Buffer.alloc(32, 2));
    await storage.delete('d/two.dcm');
    expect(await storage.exists('d/two.dcm')).toBe(false);
    expect(await storage.size('d/two.dcm')).toBeUndefined();
    await expect(storage.readAll('d/two.dcm')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(storage.readRanges('d/two.dcm', [[0, 4]])).rejects.toMatchObject({ code: 'ENOENT' });
    // Deleting what is not there is not an error (an orphan's clean-up may run twice).
    await storage.delete('d/two.dcm');
  });

  it('refuses a key that is not one of ours before any request', async () => {
    await expect(storage.put('../escape.dcm', Buffer.alloc(1))).rejects.toThrow('Invalid storage key');
    await expect(storage.readAll('/abs.dcm')).rejects.toThrow('Invalid storage key');
  });

  it('says at start-up why the bucket cannot be used', async () => {
    await expect(storage.check()).resolves.toBeUndefined();
    const missing = open({ bucket: 'no-such-bucket' });
    await expect(missing.check()).rejects.toThrow('S3 bucket "no-such-bucket" does not exist');
    missing.close();
    const unknownKey = open({ credentials: { accessKeyId: 'UNKNOWN', secretAccessKey: 'x' } });
    await expect(unknownKey.check()).rejects.toThrow('access denied with the configured credentials');
    unknownKey.close();
    const nowhere = open({ endpoint: 'http://127.0.0.1:9', timeoutMs: 2_000 });
    await expect(nowhere.check()).rejects.toThrow(/^S3 storage at http:\/\/127\.0\.0\.1:9 unreachable/);
    nowhere.close();
  });

  it('reports S3’s error code, never the credentials nor the key (it holds the study’s UIDs)', async () => {
    const key = 'studies/1.2.250.1.59.1234/1.2.250.1.59.5678/1.2.250.1.59.91011.dcm';
    const unknownKey = open({ credentials: { accessKeyId: 'UNKNOWN', secretAccessKey: 'very-secret-value' } });
    const error = await unknownKey.put(key, Buffer.alloc(8)).catch((e: unknown) => e as Error);
    expect(error).toMatchObject({ name: 'S3Error', status: 403, s3Code: 'InvalidAccessKeyId', message: 'S3 PUT: 403 InvalidAccessKeyId' });
    unknownKey.close();
    const missing = await storage.readAll(key).catch((e: unknown) => e as Error);
    expect(missing).toMatchObject({ code: 'ENOENT', message: 'Stored object not found' });
  });

  it('refuses a partial answer for another range than asked, and names the region of a bucket elsewhere', async () => {
    // Answers s3rver never gives: a store (or a proxy) that misbehaves, and AWS's answer for a
    // bucket in another region (301 with x-amz-bucket-region, no body, to HEAD).
    const odd = http.createServer((req, res) => {
      if (req.method === 'HEAD') {
        res.writeHead(301, { 'x-amz-bucket-region': 'eu-west-3' }).end();
        return;
      }
      res.writeHead(206, { 'content-range': 'bytes 0-3/100', 'content-length': '4' }).end(Buffer.from('DICM'));
    });
    await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve));
    const store = open({ endpoint: `http://127.0.0.1:${(odd.address() as AddressInfo).port}` });
    try {
      await expect(store.readRanges('f/x.dcm', [[50, 4]])).rejects.toMatchObject({ s3Code: 'UnexpectedContentRange' });
      await expect(store.check()).rejects.toThrow('S3 bucket "emage-test" is in region eu-west-3, not us-east-1: set S3_REGION=eu-west-3');
    } finally {
      store.close();
      await new Promise((resolve) => odd.close(resolve));
    }
  });
});
