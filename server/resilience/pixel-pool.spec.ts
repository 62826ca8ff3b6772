import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePart10 } from '../src/modules/dicom/index.js';
import { freshDatabase, startBuiltServer, type BuiltServer, type FreshDatabase } from './support/built-server.js';
import { rppsWithCheckDigit } from '../src/common/identifiers.js';
import { createFacilityKey, createUser, gql, login } from './support/portal.js';

/**
 * Decoding is CPU work: the built server does it in worker threads, so a burst of JPEG 2000
 * renders never stalls the event loop that answers everyone else.
 */
const corpus = path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'corpus', 'files');

describe('rendering off the event loop', () => {
  let db: FreshDatabase;
  let server: BuiltServer;
  let cookie: string;
  let url: string;

  beforeAll(async () => {
    db = await freshDatabase();
    const rpps = rppsWithCheckDigit('1000000001');
    await createUser(db.url, { email: 'render@example.org', role: 'PHYSICIAN', rpps, password: 'Correct-horse-battery-42' });
    const key = await createFacilityKey(db.url);
    server = await startBuiltServer({ DATABASE_URL: db.url });
    const file = readFileSync(path.join(corpus, 'pydicom', 'JPEG2000.dcm'));
    const p = parsePart10(file);
    const boundary = 'resilience-boundary';
    const body = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), file, Buffer.from(`\r\n--${boundary}--\r\n`)]);
    const stow = await fetch(`${server.url}/dicomweb/studies`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}` }, body });
    expect(stow.status).toBe(200);
    const published = await gql(server.url, `mutation($input: PublishExamInput!) { publishExam(input: $input) { id } }`, {
      input: {
        studyInstanceUid: p.studyInstanceUid, accessionNumber: 'RENDER-1', title: 'IRM', date: '2026-11-30T10:00:00.000Z', prescriberRpps: rpps,
        documents: [{ type: 'IMAGING', title: 'Images', date: '2026-11-30T10:00:00.000Z', studyInstanceUid: p.studyInstanceUid }],
        patient: { ipp: 'IPP-RENDER', lastName: 'Rendu', firstName: 'Image', birthDate: '1960-01-01', sex: 'F' },
      },
    }, undefined, { authorization: `Bearer ${key}` });
    expect(published.body.errors, JSON.stringify(published.body.errors)).toBeUndefined();
    cookie = await login(server.url, 'render@example.org', 'Correct-horse-battery-42');
    url = `${server.url}/dicomweb/studies/${p.studyInstanceUid}/series/${p.seriesInstanceUid}/instances/${p.sopInstanceUid}/rendered`;
  });
  afterAll(async () => {
    await server?.kill9();
    await db?.drop();
  });

  async function probeHealthz(until: () => boolean): Promise<number[]> {
    const latencies: number[] = [];
    while (!until()) {
      const t0 = performance.now();
      await fetch(`${server.url}/healthz`);
      latencies.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 5));
    }
    return latencies.sort((a, b) => a - b);
  }
  const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

  it('keeps /healthz answering while 16 JPEG 2000 renders are in flight', async () => {
    // The machine's own noise first: the same probe with nothing else to do.
    const idleUntil = Date.now() + 1500;
    const idle = await probeHealthz(() => Date.now() > idleUntil);
    const renders = Array.from({ length: 16 }, () => fetch(url, { headers: { cookie, accept: 'image/png' } }).then(async (r) => [r.status, (await r.arrayBuffer()).byteLength]));
    let done = false;
    const started = performance.now();
    const all = Promise.all(renders).finally(() => (done = true));
    const latencies = await probeHealthz(() => done);
    const results = await all;
    const rendersMs = performance.now() - started;
    for (const [status, bytes] of results) {
      expect(status).toBe(200);
      expect(bytes).toBeGreaterThan(1000);
    }
    console.log(
      `16 renders in ${rendersMs.toFixed(0)} ms; healthz idle p50 ${pct(idle, 0.5).toFixed(1)} ms p95 ${pct(idle, 0.95).toFixed(1)} ms; ` +
        `during the renders ${latencies.length} probes, p50 ${pct(latencies, 0.5).toFixed(1)} ms, p95 ${pct(latencies, 0.95).toFixed(1)} ms, max ${latencies.at(-1)?.toFixed(1)} ms`,
    );
    // Decoded on the event loop, the 16 renders would hold it for their whole duration.
    expect(latencies.length).toBeGreaterThan(3);
    expect(pct(latencies, 0.5)).toBeLessThan(Math.max(25, 4 * pct(idle, 0.5)));
    expect(pct(latencies, 0.95)).toBeLessThan(Math.max(rendersMs / 4, 8 * pct(idle, 0.95)));
  });
});
