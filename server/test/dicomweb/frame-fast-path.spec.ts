/**
 * The frame route's fast path (modules/dicomweb/frame-fast-path.ts) answers before Express: these
 * specs pin that its answer is the one Express gives (headers, body), that it counts in the
 * request metrics as Express's stack counts, and that what it does not serve reaches Express.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { startTestServer, type TestServer } from '../harness.js';
import { comparableHeaders, facilityWithKey, grantStudy, newUid, splitMultipart, stow, stowResult, syntheticInstance, metricValue, type TestFacilityKey } from './support.js';

const ACCEPT = { accept: 'multipart/related; type="application/octet-stream"; transfer-syntax=*' };
const ROWS = 32;
const FRAME_BYTES = ROWS * ROWS * 2;
const FRAMES = 2;

describe('DICOMweb frames: the fast path answers as Express does', () => {
  let t: TestServer;
  let centre: TestFacilityKey;
  let study: string;
  let series: string;
  let instance: string;
  let pixels: Buffer;
  let cookie: string;

  beforeAll(async () => {
    t = await startTestServer();
    centre = await facilityWithKey(t);
    study = newUid();
    series = newUid();
    const made = await syntheticInstance({ study, series, frames: FRAMES, rows: ROWS, columns: ROWS });
    expect(stowResult((await stow(t, centre.key, [made.data])).json).stored).toEqual([made.sopInstanceUid]);
    instance = made.sopInstanceUid;
    pixels = made.data.subarray(made.data.length - FRAMES * FRAME_BYTES);
    const login = await t.login(Role.PHYSICIAN);
    await grantStudy(t, login.userId, centre.facility, study, 'exam');
    cookie = login.client.cookieHeader();
  });
  afterAll(() => t?.stop());

  const framePath = (list = '1') => `/dicomweb/studies/${study}/series/${series}/instances/${instance}/frames/${list}`;

  it('sends the same headers and bytes as the Express route (which a query string still reaches)', async () => {
    for (const list of ['2', '2,1']) {
      const fast = await fetch(t.url + framePath(list), { headers: { ...ACCEPT, cookie } });
      const viaExpress = await fetch(`${t.url}${framePath(list)}?through=express`, { headers: { ...ACCEPT, cookie } });
      expect(fast.status).toBe(200);
      expect(viaExpress.status).toBe(200);
      const fastBody = Buffer.from(await fast.arrayBuffer());
      const expressBody = Buffer.from(await viaExpress.arrayBuffer());
      const headers = comparableHeaders(fast);
      // Content-Length differs by nothing: boundaries have one length.
      expect(headers).toEqual(comparableHeaders(viaExpress));
      expect(headers['cache-control']).toBe('no-store');
      expect(headers['content-security-policy']).toContain("default-src 'self'");
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(Number(headers['content-length'])).toBe(fastBody.length);
      const parts = splitMultipart(fastBody, fast.headers.get('content-type')!);
      expect(parts.map((p) => p.body)).toEqual(splitMultipart(expressBody, viaExpress.headers.get('content-type')!).map((p) => p.body));
      expect(parts[0]!.body.equals(pixels.subarray(FRAME_BYTES, 2 * FRAME_BYTES))).toBe(true);
    }
    // A single part, not multipart, as Express answers it.
    const single = await fetch(t.url + framePath('1'), { headers: { accept: 'application/octet-stream', cookie } });
    expect(single.status).toBe(200);
    expect(single.headers.get('content-type')).toBe('application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1');
    expect(Buffer.from(await single.arrayBuffer()).equals(pixels.subarray(0, FRAME_BYTES))).toBe(true);
  });

  it('counts in the request metrics: duration by surface and by DICOMweb route, body bytes, request bytes', async () => {
    const before = {
      http: await metricValue('emage_http_request_duration_seconds', { route: 'dicomweb', method: 'GET', status: '2xx' }, '_count'),
      frames: await metricValue('emage_dicomweb_request_duration_seconds', { route: 'frames', status: '2xx' }, '_count'),
      sent: await metricValue('emage_dicomweb_response_bytes_total', { route: 'frames' }),
      received: await metricValue('emage_dicomweb_request_bytes_total', { route: 'frames' }),
    };
    const res = await fetch(t.url + framePath('1'), { headers: { ...ACCEPT, cookie } });
    const body = Buffer.from(await res.arrayBuffer());
    expect(res.status).toBe(200);
    // The metrics are recorded when the answer is finished, which the client may see first.
    await new Promise((r) => setTimeout(r, 50));
    expect(await metricValue('emage_http_request_duration_seconds', { route: 'dicomweb', method: 'GET', status: '2xx' }, '_count')).toBe(before.http + 1);
    expect(await metricValue('emage_dicomweb_request_duration_seconds', { route: 'frames', status: '2xx' }, '_count')).toBe(before.frames + 1);
    expect(await metricValue('emage_dicomweb_response_bytes_total', { route: 'frames' })).toBe(before.sent + body.length);
    expect(await metricValue('emage_dicomweb_request_bytes_total', { route: 'frames' })).toBeGreaterThan(before.received + framePath('1').length);
  });

  it('leaves to Express what it does not serve: refusals, HEAD, other routes, no cookie', async () => {
    expect((await fetch(t.url + framePath('1'), { headers: ACCEPT })).status).toBe(401);
    expect((await fetch(t.url + framePath('9'), { headers: { ...ACCEPT, cookie } })).status).toBe(404);
    expect((await fetch(t.url + framePath('0'), { headers: { ...ACCEPT, cookie } })).status).toBe(400);
    expect((await fetch(t.url + framePath('1'), { headers: { accept: 'image/png', cookie } })).status).toBe(406);
    const head = await fetch(t.url + framePath('1'), { method: 'HEAD', headers: { ...ACCEPT, cookie } });
    expect(head.status).toBe(200);
    expect(head.headers.get('cache-control')).toBe('no-store');
    const refused = await fetch(t.url + framePath('1'), { headers: { ...ACCEPT, cookie: 'emage_session=unknown' } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });
});
