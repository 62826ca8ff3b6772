/**
 * QIDO-RS checks the session cookie inside the search's own statement (docs/adr/0113): these
 * specs pin that every search route applies resolveSession's rules and the read rule exactly, on
 * every request, with nothing remembered between requests, and that share grants and the viewer
 * chain's order still hold.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { sql } from '../auth/db-probe.js';
import { startTestServer, type TestServer } from '../harness.js';
import { openLink, shareOf } from '../share/helpers.js';
import { facilityWithKey, grantStudy, newUid, stow, stowResult, syntheticInstance, type TestFacilityKey } from './support.js';

interface Stored {
  study: string;
  series: string;
  instance: string;
}

const JSON_ACCEPT = { accept: 'application/dicom+json' };

/** The six search routes for a study, each with the StudyInstanceUIDs its answer names. */
const routesOf = (s: Stored): Array<[string, string]> => [
  ['studies', `/dicomweb/studies?PatientID=SYN-1`],
  ['series', `/dicomweb/series?PatientID=SYN-1`],
  ['instances', `/dicomweb/instances?PatientID=SYN-1`],
  ['series of the study', `/dicomweb/studies/${s.study}/series`],
  ['instances of the study', `/dicomweb/studies/${s.study}/instances`],
  ['instances of the series', `/dicomweb/studies/${s.study}/series/${s.series}/instances`],
];
const ROOT = new Set(['studies', 'series', 'instances']);

describe('QIDO-RS: the session checked in the search statement', () => {
  let t: TestServer;
  let centre: TestFacilityKey;
  let mine: Stored;
  let other: Stored;

  const store = async (): Promise<Stored> => {
    const study = newUid();
    const series = newUid();
    const made = await syntheticInstance({ study, series, frames: 1, rows: 8, columns: 8 });
    const res = await stow(t, centre.key, [made.data]);
    expect(stowResult(res.json).stored).toEqual([made.sopInstanceUid]);
    return { study, series, instance: made.sopInstanceUid };
  };
  /** Status and the StudyInstanceUIDs of every match (or the error body) of each route for `s`. */
  const answers = async (cookie: string, s: Stored): Promise<string[]> => {
    const out: string[] = [];
    for (const [name, route] of routesOf(s)) {
      const res = await fetch(t.url + route, { headers: { ...JSON_ACCEPT, cookie } });
      const text = await res.text();
      const studies = res.status === 200 ? (JSON.parse(text) as Array<Record<string, { Value: string[] }>>).map((m) => m['0020000D']!.Value[0]) : [text];
      out.push(`${name}: ${res.status} ${[...new Set(studies)].sort().join(' ')}`);
    }
    return out;
  };
  const expected = (status: number, s: Stored | 'none', body?: string): string[] =>
    routesOf(mine).map(([name]) => `${name}: ${status} ${body ?? (s === 'none' ? '' : s.study)}`);
  const physicianOf = async (s: Stored, via: 'exam' | 'document' = 'exam') => {
    const login = await t.login(Role.PHYSICIAN);
    const examId = await grantStudy(t, login.userId, centre.facility, s.study, via);
    return { ...login, examId, cookie: login.client.cookieHeader() };
  };
  const sessionOf = async (userId: string) => (await sql<{ id: string }>(t, `select id from session where user_id = ?`, [userId]))[0]!.id;

  beforeAll(async () => {
    t = await startTestServer();
    centre = await facilityWithKey(t);
    mine = await store();
    other = await store();
  });
  afterAll(() => t?.stop());

  it('a physician finds their study on every route and nothing of a study that is not theirs', async () => {
    const { cookie } = await physicianOf(mine, 'document');
    expect(await answers(cookie, mine)).toEqual(expected(200, mine));
    // The other study carries the same PatientID: the root searches still list only mine.
    const notTheirs = await answers(cookie, other);
    expect(notTheirs).toEqual(routesOf(other).map(([name]) => (ROOT.has(name) ? `${name}: 200 ${mine.study}` : `${name}: 404 {"error":"Not found"}`)));
    expect(notTheirs.join('\n')).not.toContain(other.study);
  });

  it('a physician who is neither prescriber nor correspondent of any exam gets nothing', async () => {
    const { client } = await t.login(Role.PHYSICIAN);
    const cookie = client.cookieHeader();
    expect(await answers(cookie, mine)).toEqual(routesOf(mine).map(([name]) => (ROOT.has(name) ? `${name}: 200 ` : `${name}: 404 {"error":"Not found"}`)));
  });

  it('a revoked, idle, expired session or a disabled account gets 401 on the next search, on every route', async () => {
    const ends: Array<[string, (sessionId: string, userId: string) => Promise<unknown>]> = [
      ['revoked', (s) => sql(t, `update session set revoked_at = now() where id = ?`, [s])],
      ['idle', (s) => sql(t, `update session set idle_expires_at = now() - interval '1 second' where id = ?`, [s])],
      ['past its absolute lifetime', (s) => sql(t, `update session set absolute_expires_at = now() - interval '1 second' where id = ?`, [s])],
      ['of a disabled account', (_s, u) => sql(t, `update app_user set status = 'DISABLED' where id = ?`, [u])],
    ];
    for (const [name, end] of ends) {
      const { cookie, userId } = await physicianOf(mine);
      expect(await answers(cookie, mine), name).toEqual(expected(200, mine));
      await end(await sessionOf(userId), userId);
      expect(await answers(cookie, mine), name).toEqual(expected(401, 'none', '{"error":"Authentication required"}'));
    }
    expect(await answers('emage_session=not-a-session', mine)).toEqual(expected(401, 'none', '{"error":"Authentication required"}'));
  });

  it('analysts and administrators get 403 on every route', async () => {
    for (const role of [Role.ANALYST, Role.ADMIN]) {
      const { client } = await t.login(role);
      expect(await answers(client.cookieHeader(), mine), role).toEqual(expected(403, 'none', '{"error":"Not allowed"}'));
    }
  });

  it('a search slides the idle expiry like any request', async () => {
    const { cookie, userId } = await physicianOf(mine);
    const session = await sessionOf(userId);
    await sql(t, `update session set last_seen_at = now() - interval '10 minutes', idle_expires_at = now() + interval '1 minute' where id = ?`, [session]);
    const res = await fetch(`${t.url}/dicomweb/studies/${mine.study}/series`, { headers: { ...JSON_ACCEPT, cookie } });
    expect(res.status).toBe(200);
    const [slid] = await sql<{ idle_in: number }>(t, `select extract(epoch from idle_expires_at - now())::float8 as idle_in from session where id = ?`, [session]);
    // SESSION_IDLE_MINUTES defaults to 15.
    expect(slid!.idle_in).toBeGreaterThan(14 * 60);
  });

  it('a share grant finds its study only; the session is asked first, as on every route', async () => {
    const sharer = await physicianOf(mine, 'document');
    const [document] = await sql<{ id: string }>(t, `select id from document where exam_id = ?`, [sharer.examId]);
    const { client: recipient } = await openLink(t, await shareOf(t, document!.id, sharer.userId));
    const grant = recipient.cookieHeader();
    expect(grant).toMatch(/^emage_share=/);
    expect(await answers(grant, mine)).toEqual(expected(200, mine));
    expect(await answers(grant, other)).toEqual(routesOf(other).map(([name]) => (ROOT.has(name) ? `${name}: 200 ${mine.study}` : `${name}: 404 {"error":"Not found"}`)));

    // A dead session cookie next to the grant searches through the grant; a live session of a
    // physician without the exam does not.
    expect(await answers(`emage_session=ended-long-ago; ${grant}`, mine)).toEqual(expected(200, mine));
    const stranger = await physicianOf(other);
    expect(await answers(`${stranger.cookie}; ${grant}`, mine)).toEqual(
      routesOf(mine).map(([name]) => (ROOT.has(name) ? `${name}: 200 ${other.study}` : `${name}: 404 {"error":"Not found"}`)),
    );
  });
});
