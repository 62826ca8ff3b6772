/**
 * The retrieve route's fast path (modules/dicomweb/retrieve-fast-path.ts, ADR 0145) answers a
 * session cookie's WADO-RS retrieve before Express: these specs pin that it refuses whatever
 * Express refuses (every refusal is Express's own answer), that its 200 is the one Express
 * gives (headers, bytes), that it costs one statement, that it slides the session and counts in
 * the metrics as Express's stack does, and that a file failing before the first byte is answered
 * by Express.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { sql, statementsDuring } from '../auth/db-probe.js';
import { startTestServer, type TestServer } from '../harness.js';
import { comparableHeaders, facilityWithKey, grantStudy, newUid, splitMultipart, stow, stowResult, syntheticInstance, metricValue, type TestFacilityKey } from './support.js';

const MULTIPART = { accept: 'multipart/related; type="application/dicom"' };

describe('DICOMweb retrieve: the fast path answers as Express does', () => {
  let t: TestServer;
  let centre: TestFacilityKey;
  let study: string;
  let series: string;
  let other: string;
  const files: Array<{ sopInstanceUid: string; data: Buffer }> = [];
  let physician: { userId: string; cookie: string };
  let examId: string;

  beforeAll(async () => {
    t = await startTestServer();
    centre = await facilityWithKey(t);
    study = newUid();
    series = newUid();
    other = newUid();
    for (const s of [series, series, other]) files.push(await syntheticInstance({ study, series: s, frames: 1, rows: 16, columns: 16 }));
    expect(stowResult((await stow(t, centre.key, files.map((f) => f.data))).json).stored).toHaveLength(3);
    const login = await t.login(Role.PHYSICIAN);
    examId = await grantStudy(t, login.userId, centre.facility, study, 'exam');
    physician = { userId: login.userId, cookie: login.client.cookieHeader() };
  });
  afterAll(() => t?.stop());

  const studyPath = () => `/dicomweb/studies/${study}`;
  const get = (p: string, headers: Record<string, string>) => fetch(t.url + p, { headers });

  it("refuses what Express refuses, with Express's answers: no or a dead cookie, another physician, a non-physician, a withdrawn exam, an absent series", async () => {
    expect((await get(studyPath(), MULTIPART)).status).toBe(401);
    const dead = await get(studyPath(), { ...MULTIPART, cookie: 'emage_session=unknown' });
    expect(dead.status).toBe(401);
    expect(dead.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    const stranger = await t.login(Role.PHYSICIAN);
    expect((await get(studyPath(), { ...MULTIPART, cookie: stranger.client.cookieHeader() })).status).toBe(404);
    const admin = await t.login(Role.ADMIN);
    expect((await get(studyPath(), { ...MULTIPART, cookie: admin.client.cookieHeader() })).status).toBe(403);
    const analyst = await t.login(Role.ANALYST);
    expect((await get(studyPath(), { ...MULTIPART, cookie: analyst.client.cookieHeader() })).status).toBe(403);
    expect((await get(`${studyPath()}/series/${newUid()}`, { ...MULTIPART, cookie: physician.cookie })).status).toBe(404);
    expect((await get(`${studyPath()}/series/${series}/instances/${files[2]!.sopInstanceUid}`, { ...MULTIPART, cookie: physician.cookie })).status).toBe(404);
    expect((await get(studyPath(), { accept: 'image/png', cookie: physician.cookie })).status).toBe(406);
    // A study of several instances is not one application/dicom body.
    expect((await get(studyPath(), { accept: 'application/dicom', cookie: physician.cookie })).status).toBe(406);

    // Withdrawn, then logged out: refused at once (one statement decides each request, nothing kept).
    await sql(t, `update exam set status = 'WITHDRAWN' where id = ?`, [examId]);
    try {
      expect((await get(studyPath(), { ...MULTIPART, cookie: physician.cookie })).status).toBe(404);
    } finally {
      await sql(t, `update exam set status = 'PUBLISHED' where id = ?`, [examId]);
    }
    const leaving = await t.login(Role.PHYSICIAN);
    await grantStudy(t, leaving.userId, centre.facility, study, 'document');
    const cookie = leaving.client.cookieHeader();
    expect((await get(studyPath(), { ...MULTIPART, cookie })).status).toBe(200);
    await sql(t, `update session set revoked_at = now() where user_id = ?`, [leaving.userId]);
    expect((await get(studyPath(), { ...MULTIPART, cookie })).status).toBe(401);
  });

  it('sends the same headers and bytes as the Express route (which a query string still reaches), in one statement', async () => {
    const cases: Array<[string, Record<string, string>, number]> = [
      [studyPath(), MULTIPART, 3],
      [`${studyPath()}/series/${series}`, MULTIPART, 2],
      [`${studyPath()}/series/${other}/instances/${files[2]!.sopInstanceUid}`, { accept: '*/*' }, 1],
    ];
    for (const [p, accept, count] of cases) {
      let fast: Response | undefined;
      // The request's statements (the outbox's worker runs its own meanwhile).
      const statements = await statementsDuring(t, (q) => !q.includes('outbox_message'), async () => {
        fast = await get(p, { ...accept, cookie: physician.cookie });
      });
      const viaExpress = await get(`${p}?through=express`, { ...accept, cookie: physician.cookie });
      expect(fast!.status).toBe(200);
      expect(viaExpress.status).toBe(200);
      expect(statements).toBe(1);
      const headers = comparableHeaders(fast!);
      expect(headers).toEqual(comparableHeaders(viaExpress));
      expect(headers['cache-control']).toBe('no-store');
      expect(headers['content-security-policy']).toContain("default-src 'self'");
      const fastBody = Buffer.from(await fast!.arrayBuffer());
      const parts = splitMultipart(fastBody, fast!.headers.get('content-type')!);
      expect(parts).toHaveLength(count);
      expect(parts.map((x) => x.body)).toEqual(splitMultipart(Buffer.from(await viaExpress.arrayBuffer()), viaExpress.headers.get('content-type')!).map((x) => x.body));
      expect(Number(headers['content-length'])).toBe(fastBody.length);
      for (const part of parts) expect(files.some((f) => f.data.equals(part.body))).toBe(true);
    }
    // One instance as a single application/dicom body.
    const single = await get(`${studyPath()}/series/${series}/instances/${files[0]!.sopInstanceUid}`, { accept: 'application/dicom', cookie: physician.cookie });
    expect(single.status).toBe(200);
    expect(single.headers.get('content-type')).toBe('application/dicom');
    expect(Buffer.from(await single.arrayBuffer()).equals(files[0]!.data)).toBe(true);
  });

  it('slides the session as every route does, and counts in the request metrics under route "retrieve"', async () => {
    const hourAgo = new Date(Date.now() - 3600_000);
    await sql(t, `update session set last_seen_at = ?, idle_expires_at = now() + interval '5 minutes' where user_id = ? and revoked_at is null`, [hourAgo, physician.userId]);
    const before = {
      http: await metricValue('emage_http_request_duration_seconds', { route: 'dicomweb', method: 'GET', status: '2xx' }, '_count'),
      retrieve: await metricValue('emage_dicomweb_request_duration_seconds', { route: 'retrieve', status: '2xx' }, '_count'),
      sent: await metricValue('emage_dicomweb_response_bytes_total', { route: 'retrieve' }),
    };
    const res = await get(studyPath(), { ...MULTIPART, cookie: physician.cookie });
    const body = Buffer.from(await res.arrayBuffer());
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect(await metricValue('emage_http_request_duration_seconds', { route: 'dicomweb', method: 'GET', status: '2xx' }, '_count')).toBe(before.http + 1);
    expect(await metricValue('emage_dicomweb_request_duration_seconds', { route: 'retrieve', status: '2xx' }, '_count')).toBe(before.retrieve + 1);
    expect(await metricValue('emage_dicomweb_response_bytes_total', { route: 'retrieve' })).toBe(before.sent + body.length);
    const [row] = await sql<{ last_seen_ms: number; idle_expires_ms: number }>(t, `select (extract(epoch from last_seen_at) * 1000)::float8 as last_seen_ms, (extract(epoch from idle_expires_at) * 1000)::float8 as idle_expires_ms from session where user_id = ? and revoked_at is null`, [physician.userId]);
    expect(row!.last_seen_ms).toBeGreaterThan(Date.now() - 60_000);
    expect(row!.idle_expires_ms).toBeGreaterThan(Date.now() + 10 * 60_000);
  });

  it('leaves a stored file that fails before the first byte to Express, which answers 500 once', async () => {
    const lost = await syntheticInstance({ study: newUid(), frames: 1, rows: 16, columns: 16 });
    expect(stowResult((await stow(t, centre.key, [lost.data])).json).stored).toEqual([lost.sopInstanceUid]);
    const [stored] = await sql<{ study_instance_uid: string; storage_key: string }>(
      t,
      `select st.study_instance_uid, i.storage_key from dicom_instance i join dicom_series se on se.id = i.series_id join dicom_study st on st.id = se.study_id where i.sop_instance_uid = ?`,
      [lost.sopInstanceUid],
    );
    await grantStudy(t, physician.userId, centre.facility, stored!.study_instance_uid, 'exam');
    await rm(path.join(t.deps.config.storageDir, stored!.storage_key));
    const before = await metricValue('emage_http_request_duration_seconds', { route: 'dicomweb', method: 'GET', status: '5xx' }, '_count');
    const res = await get(`/dicomweb/studies/${stored!.study_instance_uid}`, { ...MULTIPART, cookie: physician.cookie });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'Internal server error' });
    await new Promise((r) => setTimeout(r, 50));
    expect(await metricValue('emage_http_request_duration_seconds', { route: 'dicomweb', method: 'GET', status: '5xx' }, '_count')).toBe(before + 1);
  });
});
