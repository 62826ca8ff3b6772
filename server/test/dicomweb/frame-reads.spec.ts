/**
 * The frame route checks the session cookie inside its own statement (docs/adr/0025): these
 * specs pin that it applies resolveSession's rules exactly, on every request (the changes below
 * are made through the server's own ORM, which drops its read cache at once: ADR 0136, whose
 * cross-process bound frame-read-cache.spec.ts pins), that share grants and the viewer chain's
 * order still hold, and that its logs name no study, series or instance.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { sql } from '../auth/db-probe.js';
import { capturingLogger, GqlClient, startTestServer, type TestServer } from '../harness.js';
import { REVOKE, SHARE, linkIn, openLink, waitForShareMail } from '../share/helpers.js';
import { facilityWithKey, grantStudy, newUid, splitMultipart, stow, stowResult, syntheticInstance, type TestFacilityKey } from './support.js';

const ACCEPT = { accept: 'multipart/related; type="application/octet-stream"; transfer-syntax=*' };
const ROWS = 32;
const FRAME_BYTES = ROWS * ROWS * 2;
const FRAMES = 3;

interface Stored {
  study: string;
  series: string;
  instance: string;
  /** The file's pixel data, frame after frame (native, so each frame is a slice of it). */
  pixels: Buffer;
}

describe('DICOMweb frame requests: authorised on every request, logged without UIDs', () => {
  let t: TestServer;
  let centre: TestFacilityKey;
  let mine: Stored;
  let other: Stored;
  const capture = capturingLogger('debug');

  const store = async (): Promise<Stored> => {
    const study = newUid();
    const series = newUid();
    const made = await syntheticInstance({ study, series, frames: FRAMES, rows: ROWS, columns: ROWS });
    const res = await stow(t, centre.key, [made.data]);
    expect(stowResult(res.json).stored).toEqual([made.sopInstanceUid]);
    return { study, series, instance: made.sopInstanceUid, pixels: made.data.subarray(made.data.length - FRAMES * FRAME_BYTES) };
  };
  const framePath = (s: Stored, list = '1') => `/dicomweb/studies/${s.study}/series/${s.series}/instances/${s.instance}/frames/${list}`;
  const frame = (cookie: string, s: Stored, list = '1') => fetch(t.url + framePath(s, list), { headers: { ...ACCEPT, cookie } });
  /** A physician allowed to read `s`, with their cookie header. */
  const physicianOf = async (s: Stored, via: 'exam' | 'document' = 'exam') => {
    const login = await t.login(Role.PHYSICIAN);
    const examId = await grantStudy(t, login.userId, centre.facility, s.study, via);
    return { ...login, examId, cookie: login.client.cookieHeader() };
  };
  const sessionOf = async (userId: string) => (await sql<{ id: string }>(t, `select id from session where user_id = ?`, [userId]))[0]!.id;

  beforeAll(async () => {
    t = await startTestServer({}, { logger: capture.logger });
    centre = await facilityWithKey(t);
    mine = await store();
    other = await store();
  });
  afterAll(() => t?.stop());

  it('a physician reads the frames of their study, byte for byte, alone or several in one request', async () => {
    const { cookie } = await physicianOf(mine);
    const one = await frame(cookie, mine, '2');
    expect(one.status).toBe(200);
    expect(one.headers.get('cache-control')).toBe('no-store');
    const body = Buffer.from(await one.arrayBuffer());
    expect(Number(one.headers.get('content-length'))).toBe(body.length);
    const [part] = splitMultipart(body, one.headers.get('content-type')!);
    expect(part!.body.equals(mine.pixels.subarray(FRAME_BYTES, 2 * FRAME_BYTES))).toBe(true);

    const several = await frame(cookie, mine, '3,1');
    const parts = splitMultipart(Buffer.from(await several.arrayBuffer()), several.headers.get('content-type')!);
    expect(parts.map((p) => p.body)).toEqual([mine.pixels.subarray(2 * FRAME_BYTES), mine.pixels.subarray(0, FRAME_BYTES)]);
    expect((await frame(cookie, mine, String(FRAMES + 1))).status).toBe(404);
  });

  it('after logout, the very next frame request with the old cookie is refused', async () => {
    const { client, cookie } = await physicianOf(mine);
    // A viewer's burst of requests just before: nothing of it may outlive the logout.
    const burst = await Promise.all(Array.from({ length: 12 }, () => frame(cookie, mine)));
    expect(burst.map((r) => r.status)).toEqual(Array(12).fill(200));
    await client.mustQuery(`mutation { logout }`);
    expect((await frame(cookie, mine)).status).toBe(401);
  });

  it('a revoked, idle, expired session or a disabled account is refused on the next frame request', async () => {
    const ends: Array<[string, (sessionId: string, userId: string) => Promise<unknown>]> = [
      ['revoked', (s) => sql(t, `update session set revoked_at = now() where id = ?`, [s])],
      ['idle', (s) => sql(t, `update session set idle_expires_at = now() - interval '1 second' where id = ?`, [s])],
      ['past its absolute lifetime', (s) => sql(t, `update session set absolute_expires_at = now() - interval '1 second' where id = ?`, [s])],
      ['of a disabled account', (_s, u) => sql(t, `update app_user set status = 'DISABLED' where id = ?`, [u])],
    ];
    for (const [name, end] of ends) {
      const { cookie, userId } = await physicianOf(mine);
      expect((await frame(cookie, mine)).status, name).toBe(200);
      await end(await sessionOf(userId), userId);
      const refused = await frame(cookie, mine);
      expect(refused.status, name).toBe(401);
      expect(await refused.text(), name).toBe('{"error":"Authentication required"}');
    }
  });

  it('analysts and administrators get 403; a physician without the exam gets the 404 of an unknown instance', async () => {
    for (const role of [Role.ANALYST, Role.ADMIN]) {
      const { client } = await t.login(role);
      expect((await frame(client.cookieHeader(), mine)).status, role).toBe(403);
    }
    const { cookie } = await physicianOf(other);
    const notTheirs = await frame(cookie, mine);
    const unknown = await frame(cookie, { ...mine, instance: newUid() });
    expect(notTheirs.status).toBe(404);
    expect(await notTheirs.text()).toBe(await unknown.text());
    expect((await frame('emage_session=not-a-session', mine)).status).toBe(401);
  });

  it('a frame request slides the idle expiry like any request, never past the absolute lifetime', async () => {
    const { cookie, userId } = await physicianOf(mine);
    const session = await sessionOf(userId);
    await sql(t, `update session set last_seen_at = now() - interval '10 minutes', idle_expires_at = now() + interval '1 minute' where id = ?`, [session]);
    expect((await frame(cookie, mine)).status).toBe(200);
    const [slid] = await sql<{ seen_ago: number; idle_in: number }>(
      t,
      `select extract(epoch from now() - last_seen_at)::float8 as seen_ago, extract(epoch from idle_expires_at - now())::float8 as idle_in from session where id = ?`,
      [session],
    );
    expect(slid!.seen_ago).toBeLessThan(60);
    // SESSION_IDLE_MINUTES defaults to 15.
    expect(slid!.idle_in).toBeGreaterThan(14 * 60);

    await sql(t, `update session set last_seen_at = now() - interval '10 minutes', absolute_expires_at = now() + interval '2 minutes' where id = ?`, [session]);
    expect((await frame(cookie, mine)).status).toBe(200);
    // Equal to the millisecond: times travel through JavaScript dates, as in resolveSession.
    const [capped] = await sql<{ gap: number }>(t, `select abs(extract(epoch from absolute_expires_at - idle_expires_at))::float8 as gap from session where id = ?`, [session]);
    expect(capped!.gap).toBeLessThan(0.001);
  });

  it('a share grant reads the frames of its study only, and a revoked share is refused on the next frame request', async () => {
    const sharer = await physicianOf(mine, 'document');
    const [document] = await sql<{ id: string }>(t, `select id from document where exam_id = ?`, [sharer.examId]);
    const made = await sharer.client.mustQuery<{ shareDocument: { id: string } }>(SHARE, { d: document!.id, e: 'confrere@hopital.example' });
    const { token } = linkIn(await waitForShareMail(t, 'confrere@hopital.example'));
    const { client: recipient } = await openLink(t, token);
    const grant = recipient.cookieHeader();
    expect(grant).toMatch(/^emage_share=/);

    expect((await frame(grant, mine)).status).toBe(200);
    const pixelData = await fetch(`${t.url}/dicomweb/studies/${mine.study}/series/${mine.series}/instances/${mine.instance}/bulkdata/7FE00010`, { headers: { ...ACCEPT, cookie: grant } });
    expect(pixelData.status).toBe(200);
    expect(splitMultipart(Buffer.from(await pixelData.arrayBuffer()), pixelData.headers.get('content-type')!)).toHaveLength(FRAMES);
    expect((await frame(grant, other)).status).toBe(404);

    // The session is asked first, as on every route: a dead session cookie next to the grant
    // reads through the grant; a live session of a physician without the exam does not.
    const stranger = await physicianOf(other);
    expect((await frame(`emage_session=ended-long-ago; ${grant}`, mine)).status).toBe(200);
    expect((await frame(`${stranger.cookie}; ${grant}`, mine)).status).toBe(404);

    await sharer.client.mustQuery(REVOKE, { id: made.shareDocument.id });
    expect((await frame(grant, mine)).status).toBe(401);
  });

  it('logs of DICOMweb requests, a failed one included, name no study, series or instance', async () => {
    const broken = await store();
    const { cookie } = await physicianOf(broken);
    const [row] = await sql<{ storage_key: string }>(t, `select storage_key from dicom_instance where sop_instance_uid = ?`, [broken.instance]);
    await rm(path.join(t.storageDir, row!.storage_key));
    const failed = await frame(cookie, broken);
    expect(failed.status).toBe(500);
    expect(await failed.text()).toBe('{"error":"Internal server error"}');
    await new GqlClient(t.url).fetch(`/dicomweb/studies/${broken.study}/series/${broken.series}/metadata`);

    const logged = capture.text();
    expect(logged).toContain('DICOMweb request failed');
    expect(logged).toContain('"path":"/dicomweb/studies/[uid]/series/[uid]/instances/[uid]/frames/1","status":500');
    for (const uid of [broken, mine, other].flatMap((s) => [s.study, s.series, s.instance])) expect(logged.includes(uid), 'a UID in the logs').toBe(false);
  });
});
