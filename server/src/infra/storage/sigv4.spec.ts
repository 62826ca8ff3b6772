import { describe, expect, it } from 'vitest';
import { EMPTY_SHA256, sha256Hex, signV4, uriEncode } from './sigv4.js';

/**
 * The worked examples of AWS's "Signature Calculations for the Authorization Header: Transferring
 * Payload in a Single Chunk (AWS Signature Version 4)" for Amazon S3: same credentials, bucket and
 * date; the signatures are AWS's.
 */
const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const date = new Date('2013-05-24T00:00:00Z');
const sign = (method: string, url: string, headers: Record<string, string> = {}, payloadHash = EMPTY_SHA256) =>
  signV4({ method, url: new URL(url), headers, payloadHash, credentials, region: 'us-east-1', date });
const signatureOf = (headers: Record<string, string>) => /Signature=([0-9a-f]{64})$/.exec(headers.authorization ?? '')?.[1];

describe('SigV4 signing reproduces AWS’s published S3 examples', () => {
  it('GET Object with a Range header', () => {
    const headers = sign('GET', 'https://examplebucket.s3.amazonaws.com/test.txt', { Range: 'bytes=0-9' });
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
        'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
    expect(headers['x-amz-date']).toBe('20130524T000000Z');
    expect(headers['x-amz-content-sha256']).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('PUT Object: the payload’s hash and a key with a character to encode ($)', () => {
    const payloadHash = sha256Hex('Welcome to Amazon S3.');
    expect(payloadHash).toBe('44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072');
    const headers = sign(
      'PUT',
      'https://examplebucket.s3.amazonaws.com/test$file.text',
      { Date: 'Fri, 24 May 2013 00:00:00 GMT', 'x-amz-storage-class': 'REDUCED_REDUNDANCY' },
      payloadHash,
    );
    expect(headers.authorization).toContain('SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,');
    expect(signatureOf(headers)).toBe('98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd');
  });

  it('GET Bucket Lifecycle and List Objects: query parameters, sorted and encoded', () => {
    expect(signatureOf(sign('GET', 'https://examplebucket.s3.amazonaws.com/?lifecycle'))).toBe('fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543');
    expect(signatureOf(sign('GET', 'https://examplebucket.s3.amazonaws.com/?prefix=J&max-keys=2'))).toBe('34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7');
  });

  it('another secret, another signature; a session token is sent and signed', () => {
    const other = signV4({ method: 'GET', url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'), headers: { Range: 'bytes=0-9' }, payloadHash: EMPTY_SHA256, credentials: { ...credentials, secretAccessKey: 'another' }, region: 'us-east-1', date });
    expect(signatureOf(other)).not.toBe('f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
    const withToken = signV4({ method: 'GET', url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'), headers: {}, payloadHash: EMPTY_SHA256, credentials: { ...credentials, sessionToken: 'token/+=' }, region: 'us-east-1', date });
    expect(withToken['x-amz-security-token']).toBe('token/+=');
    expect(withToken.authorization).toContain('SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,');
  });

  it('encodes as RFC 3986 asks, UTF-8 bytes included', () => {
    expect(uriEncode('a b/é~_.-*', true)).toBe('a%20b/%C3%A9~_.-%2A');
    expect(uriEncode('a/b')).toBe('a%2Fb');
  });
});
