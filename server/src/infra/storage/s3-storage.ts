import { createReadStream } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { StagingArea, type StagedFile } from './staging.js';
import { EMPTY_SHA256, sha256Hex, signV4, type Credentials } from './sigv4.js';
import { checkStorageKey, readRangesIntoNew, type StageOptions, type Storage } from './storage.js';

export interface S3Options {
  /** `https://s3.eu-west-3.amazonaws.com`, `http://minio:9000`, … */
  endpoint: string;
  region: string;
  bucket: string;
  /** Prepended to every key (no leading slash; ends with one when set). */
  prefix: string;
  credentials: Credentials;
  /** `endpoint/bucket/key` (MinIO, most on-premises stores) rather than `bucket.endpoint/key`. */
  pathStyle: boolean;
  /** Per attempt. */
  timeoutMs?: number;
  /** Local directory where uploads are staged before their PUT (DATA_DIR/staging). */
  stagingDir?: string;
}

/** A request body: bytes in memory, or a local file streamed from disk at each attempt. */
type Body = Buffer | { file: string; size: number };

/** An S3 answer other than the one expected, with S3's own error code (never the credentials). */
export class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly s3Code: string,
    message: string,
  ) {
    super(message);
    this.name = 'S3Error';
  }
}

/**
 * A stored object that is not there: the same code as the filesystem's, for callers that check
 * it. Messages here never name the key: keys hold study, series and instance UIDs.
 */
class MissingObject extends Error {
  readonly code = 'ENOENT';
  constructor() {
    super('Stored object not found');
  }
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Empty when a sink took it. */
  body: Buffer;
}

/** Where a successful answer's bytes go as they arrive (`position`: from the body's start). */
interface Sink {
  start(status: number): void;
  chunk(chunk: Buffer, position: number): void;
}

/** Ranges closer than this are fetched in one request (a frame's fragments are 8 bytes apart). */
const COALESCE_GAP = 64 * 1024;
const ATTEMPTS = 3;

/**
 * DICOM files in an S3-compatible object store (AWS S3, MinIO, Ceph RGW, Scality, …), over
 * plain HTTP(S) with Signature V4: no SDK. A PUT is atomic in S3 (readers see the old object or
 * the new one, never part of one), as the Storage contract asks. Byte ranges are read with Range
 * requests, neighbours merged into one.
 */
export class S3Storage implements Storage {
  private readonly endpoint: URL;
  private readonly agent: http.Agent;
  private readonly timeoutMs: number;
  private readonly staging: StagingArea;

  constructor(private readonly options: S3Options) {
    this.staging = new StagingArea(options.stagingDir ?? path.join(os.tmpdir(), 'e-mage-staging'));
    this.endpoint = new URL(options.endpoint);
    const Agent = this.endpoint.protocol === 'https:' ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets: 64 });
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** The object's URL; the bucket's when key is undefined. */
  private urlOf(key: string | undefined): URL {
    const { bucket, prefix, pathStyle } = this.options;
    const objectPath = key === undefined ? '/' : `/${prefix}${checkStorageKey(key)}`;
    const url = new URL(this.endpoint.href);
    const base = url.pathname.replace(/\/+$/, '');
    if (pathStyle) url.pathname = `${base}/${bucket}${objectPath}`;
    else {
      url.hostname = `${bucket}.${url.hostname}`;
      url.pathname = `${base}${objectPath}`;
    }
    return url;
  }

  async put(key: string, data: Buffer, sha256?: string): Promise<void> {
    // S3 refuses the object when its bytes do not hash to the signed value (XAmzContentSHA256Mismatch).
    const answer = await this.request('PUT', this.urlOf(key), { 'content-length': String(data.length), 'content-type': 'application/dicom' }, data, undefined, sha256);
    this.expect(answer, [200], 'PUT');
  }

  stage(options?: StageOptions): Promise<StagedFile> {
    return options?.background ? this.staging.createInBackground() : this.staging.create();
  }

  async putStaged(key: string, file: StagedFile, sha256: string): Promise<void> {
    try {
      const answer = await this.request(
        'PUT',
        this.urlOf(key),
        { 'content-length': String(file.size), 'content-type': 'application/dicom' },
        { file: file.path, size: file.size },
        undefined,
        sha256,
      );
      this.expect(answer, [200], 'PUT');
    } finally {
      // Uploaded or not, the local copy has served.
      await file.discard();
    }
  }

  sweepStaging(): Promise<number> {
    return this.staging.sweep();
  }

  async size(key: string): Promise<number | undefined> {
    const answer = await this.request('HEAD', this.urlOf(key));
    if (answer.status === 404) return undefined;
    this.expect(answer, [200], 'HEAD');
    return Number(answer.headers['content-length']);
  }

  async readAll(key: string): Promise<Buffer> {
    const answer = await this.request('GET', this.urlOf(key));
    if (answer.status === 404) throw new MissingObject();
    this.expect(answer, [200], 'GET');
    return answer.body;
  }

  readRanges(key: string, ranges: Array<[number, number]>): Promise<Buffer> {
    return readRangesIntoNew(this, key, ranges);
  }

  async readRangesInto(key: string, ranges: Array<[number, number]>, target: Buffer, at: number): Promise<void> {
    // Consecutive ranges in ascending order, close together, become one request.
    const groups: Array<{ start: number; end: number; parts: Array<{ offset: number; length: number; into: number }> }> = [];
    let into = at;
    for (const [offset, length] of ranges) {
      let group = groups[groups.length - 1];
      if (group && offset >= group.end && offset - group.end <= COALESCE_GAP) group.end = offset + length;
      else groups.push((group = { start: offset, end: offset + length, parts: [] }));
      group.parts.push({ offset, length, into });
      into += length;
    }
    // Every request settles before this returns or throws: none may still be writing into a
    // caller's buffer (a pooled one, soon another response's) after an error.
    const settled = await Promise.allSettled(
      groups.map(async (group) => {
        if (group.end === group.start) return;
        // The answer's bytes go straight to where the caller wants them, chunk by chunk as they
        // arrive: no buffer per read (a study streams through here a megabyte at a time).
        let base = group.start;
        let received = 0;
        const answer = await this.request('GET', this.urlOf(key), { range: `bytes=${group.start}-${group.end - 1}` }, undefined, {
          start: (status) => {
            // A 200 is the whole object (a store that ignores Range): its bytes count from 0.
            base = status === 200 ? 0 : group.start;
            received = 0;
          },
          chunk: (chunk, position) => {
            received = position + chunk.length;
            for (const part of group.parts) {
              const from = Math.max(part.offset, base + position);
              const to = Math.min(part.offset + part.length, base + position + chunk.length);
              if (from < to) chunk.copy(target, part.into + (from - part.offset), from - base - position, to - base - position);
            }
          },
        });
        if (answer.status === 404) throw new MissingObject();
        // 416: the range starts past the end of the object.
        if (answer.status === 416) throw new Error('Stored object shorter than its index');
        this.expect(answer, [206, 200], 'GET');
        // A partial answer must start where it was asked to (a proxy or a store that answers
        // another range would otherwise put the wrong bytes in the frame).
        if (answer.status === 206 && !String(answer.headers['content-range'] ?? '').startsWith(`bytes ${group.start}-`)) {
          throw new S3Error(206, 'UnexpectedContentRange', 'S3 GET: 206 with another range than the one asked for');
        }
        if (base + received < group.end) throw new Error('Stored object shorter than its index');
      }),
    );
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async exists(key: string): Promise<boolean> {
    return (await this.size(key)) !== undefined;
  }

  async delete(key: string): Promise<void> {
    const answer = await this.request('DELETE', this.urlOf(key));
    // S3 answers 204 whether the object was there or not; some stores answer 404.
    if (answer.status !== 404) this.expect(answer, [204, 200], 'DELETE');
  }

  /** At start-up: the bucket is reachable with these credentials, or a clear reason why not. */
  async check(): Promise<void> {
    let answer: Answer;
    try {
      answer = await this.request('HEAD', this.urlOf(undefined));
    } catch (error) {
      throw new Error(`S3 storage at ${this.endpoint.origin} unreachable: ${(error as Error).message}`, { cause: error });
    }
    if (answer.status === 404) throw new Error(`S3 bucket "${this.options.bucket}" does not exist at ${this.endpoint.origin}`);
    // A bucket of another region answers 301 (or 400) to HEAD, with no body: name its region.
    const region = answer.headers['x-amz-bucket-region'];
    if ((answer.status === 301 || answer.status === 400) && typeof region === 'string' && region !== this.options.region) {
      throw new Error(`S3 bucket "${this.options.bucket}" is in region ${region}, not ${this.options.region}: set S3_REGION=${region}`);
    }
    if (answer.status === 403 || answer.status === 401) throw new Error(`S3 bucket "${this.options.bucket}": access denied with the configured credentials`);
    this.expect(answer, [200], 'HEAD (bucket)');
  }

  close(): void {
    this.agent.destroy();
  }

  private expect(answer: Answer, statuses: number[], what: string): void {
    if (statuses.includes(answer.status)) return;
    const text = answer.body.toString('utf8');
    const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? `HTTP ${answer.status}`;
    throw new S3Error(answer.status, code, `S3 ${what}: ${answer.status} ${code}`);
  }

  /** One signed request, tried again on a network error, a 5xx or a 429 (all our requests are idempotent). */
  private async request(method: string, url: URL, headers: Record<string, string> = {}, body?: Body, sink?: Sink, bodySha256?: string): Promise<Answer> {
    if (body !== undefined && !Buffer.isBuffer(body) && bodySha256 === undefined) throw new Error('A streamed S3 body needs its SHA-256');
    const payloadHash = body ? (bodySha256 ?? sha256Hex(body as Buffer)) : EMPTY_SHA256;
    for (let attempt = 1; ; attempt++) {
      try {
        // Signed at each attempt: the signature holds the time.
        const signed = signV4({ method, url, headers, payloadHash, credentials: this.options.credentials, region: this.options.region, date: new Date() });
        const answer = await this.send(method, url, signed, body, sink);
        if ((answer.status >= 500 || answer.status === 429) && attempt < ATTEMPTS) {
          await new Promise((resolve) => setTimeout(resolve, 100 * 4 ** (attempt - 1)));
          continue;
        }
        return answer;
      } catch (error) {
        if (attempt >= ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * 4 ** (attempt - 1)));
      }
    }
  }

  /** A 200 or 206 body goes to `sink` when there is one; any other body is kept (S3's XML error). */
  private send(method: string, url: URL, headers: Record<string, string>, body?: Body, sink?: Sink): Promise<Answer> {
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { method, headers, agent: this.agent, timeout: this.timeoutMs }, (res) => {
        const status = res.statusCode ?? 0;
        const streamed = sink !== undefined && (status === 200 || status === 206);
        if (streamed) sink.start(status);
        const chunks: Buffer[] = [];
        let position = 0;
        res.on('data', (chunk: Buffer) => {
          if (streamed) sink.chunk(chunk, position);
          else chunks.push(chunk);
          position += chunk.length;
        });
        res.on('error', reject);
        res.on('end', () => resolve({ status, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      if (body === undefined || Buffer.isBuffer(body)) req.end(body);
      // A staged upload goes from disk to the socket a chunk at a time.
      else pipeline(createReadStream(body.file), req).catch((error: unknown) => req.destroy(error as Error));
    });
  }
}
