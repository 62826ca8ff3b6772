/**
 * STOW-RS as real PACS push (issue 18): Orthanc's 73-character boundary, one chunked request
 * mixing studies and closed without a final line break, every instance stored byte for byte;
 * and a sender refused mid-body still reads its status once its last byte is written, over a
 * connection that is not reset under it.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkEm } from '../../src/bootstrap.js';
import { startTestServer, type TestServer } from '../harness.js';
import { facilityWithKey, newUid, stowBody, stowResult, syntheticInstance, type TestFacilityKey } from './support.js';

interface Sent {
  status: number;
  body: string;
  /** ms from the first byte written to the last, and to the status line. */
  lastByteAt: number;
  statusAt: number;
  error: string | undefined;
}

/**
 * Writes `body` in `pieces` chunked pieces, `gapMs` apart, as a streaming sender does, and waits
 * for the answer; records when the last byte went out and when the status came.
 */
function sendSlowly(t: TestServer, headers: Record<string, string>, body: Buffer, pieces: number, gapMs: number): Promise<Sent> {
  return new Promise((resolve) => {
    const url = new URL(`${t.url}/dicomweb/studies`);
    const started = Date.now();
    let lastByteAt = -1;
    let statusAt = -1;
    let status = 0;
    let error: string | undefined;
    const chunks: Buffer[] = [];
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...headers, 'transfer-encoding': 'chunked' } }, (res) => {
      statusAt = Date.now() - started;
      status = res.statusCode ?? 0;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status, body: Buffer.concat(chunks).toString('utf8'), lastByteAt, statusAt, error }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
      resolve({ status, body: '', lastByteAt, statusAt, error });
    });
    const size = Math.ceil(body.length / pieces);
    let i = 0;
    const next = (): void => {
      if (req.destroyed) return;
      const piece = body.subarray(i * size, (i + 1) * size);
      i++;
      if (i >= pieces) {
        req.end(piece, () => {
          lastByteAt = Date.now() - started;
        });
        return;
      }
      req.write(piece);
      setTimeout(next, gapMs);
    };
    next();
  });
}

/** Orthanc's boundary: two UUIDs joined by a dash, 73 characters. */
const orthancBoundary = (): string => `${randomUUID()}-${randomUUID()}`;

describe('STOW-RS for real senders', () => {
  let t: TestServer;
  let centre: TestFacilityKey;
  beforeAll(async () => {
    t = await startTestServer();
    centre = await facilityWithKey(t);
  });
  afterAll(() => t?.stop());

  it('stores, byte for byte, a chunked push of two studies with a 73-character boundary and no final line break', async () => {
    const studies = [newUid(), newUid()];
    const instances = await Promise.all([0, 1, 2, 3].map((i) => syntheticInstance({ study: studies[i % 2]!, rows: 128, columns: 128 })));
    const boundary = orthancBoundary();
    expect(boundary).toHaveLength(73);
    const { body, contentType } = stowBody(instances.map((i) => i.data), { boundary, closingCrlf: false });
    const sent = await sendSlowly(t, { authorization: `Bearer ${centre.key}`, 'content-type': contentType }, body, 9, 5);
    expect([sent.status, sent.error]).toEqual([200, undefined]);
    expect(stowResult(JSON.parse(sent.body)).stored.sort()).toEqual(instances.map((i) => i.sopInstanceUid).sort());

    const rows = await forkEm(t.deps).execute<{ sop: string; key: string; study: string }[]>(
      `select i.sop_instance_uid as sop, i.storage_key as key, st.study_instance_uid as study
         from dicom_instance i join dicom_series se on se.id = i.series_id join dicom_study st on st.id = se.study_id
        where i.sop_instance_uid in (?, ?, ?, ?)`,
      instances.map((i) => i.sopInstanceUid),
    );
    expect(new Set(rows.map((r) => r.study))).toEqual(new Set(studies));
    for (const instance of instances) {
      const row = rows.find((r) => r.sop === instance.sopInstanceUid);
      expect((await t.deps.storage.readAll(row!.key)).equals(instance.data)).toBe(true);
    }
    // Nothing staged is left once the answer is given.
    expect(readdirSync(path.join(t.storageDir, '.staging'))).toEqual([]);
  });

  it('answers a refused sender after its last byte, over a connection it can read, whatever the refusal', async () => {
    const instance = await syntheticInstance({ study: newUid(), rows: 256, columns: 256 });
    const cases: Array<{ name: string; headers: Record<string, string>; body: Buffer; status: number }> = [];
    const good = stowBody([instance.data], { boundary: orthancBoundary() });
    cases.push({ name: 'no key', headers: { 'content-type': good.contentType }, body: good.body, status: 401 });
    const tooLong = 'x'.repeat(257);
    const badBoundary = stowBody([instance.data], { boundary: tooLong });
    cases.push({ name: 'boundary over 256', headers: { authorization: `Bearer ${centre.key}`, 'content-type': badBoundary.contentType }, body: badBoundary.body, status: 400 });
    // Refused at its first part's headers, with the whole instance still to come.
    const badHeader = Buffer.from(good.body.toString('latin1').replace('Content-Type: application/dicom', 'Content-Type application/dicom'), 'latin1');
    cases.push({ name: 'malformed part header', headers: { authorization: `Bearer ${centre.key}`, 'content-type': good.contentType }, body: badHeader, status: 400 });
    const unclosed = good.body.subarray(0, good.body.length - 80);
    cases.push({ name: 'body never closed', headers: { authorization: `Bearer ${centre.key}`, 'content-type': good.contentType }, body: unclosed, status: 400 });

    for (const c of cases) {
      const sent = await sendSlowly(t, c.headers, c.body, 12, 40);
      expect([c.name, sent.status, sent.error]).toEqual([c.name, c.status, undefined]);
      expect(sent.lastByteAt).toBeGreaterThanOrEqual(0);
      expect(sent.statusAt).toBeGreaterThanOrEqual(sent.lastByteAt);
    }
    const [row] = await forkEm(t.deps).execute<{ n: number }[]>('select count(*)::int as n from dicom_instance where sop_instance_uid = ?', [instance.sopInstanceUid]);
    expect(row?.n).toBe(0);
  });
});
