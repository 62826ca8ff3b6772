/**
 * Every DICOMweb route × every kind of caller: who gets 200, who gets 401/403/404, and that a
 * refusal carries no pixel, metadata or existence information.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkEm } from '../../src/bootstrap.js';
import { addViewerResolver } from '../../src/graphql/viewer.js';
import { Role } from '../../src/modules/auth/user.entity.js';
import { revokeApiKeys } from '../../src/modules/facility/facility.service.js';
import { startTestServer, type TestServer } from '../harness.js';
import { facilityWithKey, grantStudy, newUid, readCorpus, readManifest, stowBody } from './support.js';

const CT = readManifest().find((m) => m.file === 'pydicom/CT_small.dcm')!;
const S = CT.studyInstanceUid;
const R = CT.seriesInstanceUid;
const I = CT.sopInstanceUid;

const READS: Array<[string, string]> = [
  ['QIDO studies', `/dicomweb/studies?StudyInstanceUID=${S}`],
  ['QIDO all series', `/dicomweb/series?StudyInstanceUID=${S}`],
  ['QIDO all instances', `/dicomweb/instances?StudyInstanceUID=${S}`],
  ['QIDO series', `/dicomweb/studies/${S}/series`],
  ['QIDO study instances', `/dicomweb/studies/${S}/instances`],
  ['QIDO instances', `/dicomweb/studies/${S}/series/${R}/instances`],
  ['WADO-RS study', `/dicomweb/studies/${S}`],
  ['WADO-RS series', `/dicomweb/studies/${S}/series/${R}`],
  ['WADO-RS instance', `/dicomweb/studies/${S}/series/${R}/instances/${I}`],
  ['study metadata', `/dicomweb/studies/${S}/metadata`],
  ['series metadata', `/dicomweb/studies/${S}/series/${R}/metadata`],
  ['instance metadata', `/dicomweb/studies/${S}/series/${R}/instances/${I}/metadata`],
  ['frames', `/dicomweb/studies/${S}/series/${R}/instances/${I}/frames/1`],
  ['pixel bulk data', `/dicomweb/studies/${S}/series/${R}/instances/${I}/bulkdata/7FE00010`],
  ['WADO-URI', `/dicomweb/wado?requestType=WADO&studyUID=${S}&seriesUID=${R}&objectUID=${I}&contentType=application%2Fdicom`],
  ['WADO-URI JPEG', `/dicomweb/wado?requestType=WADO&studyUID=${S}&seriesUID=${R}&objectUID=${I}`],
  ['rendered study', `/dicomweb/studies/${S}/rendered`],
  ['rendered series', `/dicomweb/studies/${S}/series/${R}/rendered`],
  ['rendered instance', `/dicomweb/studies/${S}/series/${R}/instances/${I}/rendered`],
  ['rendered frames', `/dicomweb/studies/${S}/series/${R}/instances/${I}/frames/1/rendered`],
  ['study thumbnail', `/dicomweb/studies/${S}/thumbnail`],
  ['series thumbnail', `/dicomweb/studies/${S}/series/${R}/thumbnail`],
  ['instance thumbnail', `/dicomweb/studies/${S}/series/${R}/instances/${I}/thumbnail`],
  ['frame thumbnail', `/dicomweb/studies/${S}/series/${R}/instances/${I}/frames/1/thumbnail`],
];

/** Searches over every study: a study the caller may not read is simply not listed. */
const ROOT_SEARCHES = new Set(['QIDO studies', 'QIDO all series', 'QIDO all instances']);

/** A share grant standing in for the sharing module's resolver: cookie `test_share=<study>[|expired]`. */
addViewerResolver(async (_em, _deps, src) => {
  const raw = src.cookies.test_share;
  if (!raw) return null;
  const [study, state] = raw.split('|');
  return {
    kind: 'share',
    shareId: 'test',
    documentId: 'test',
    examId: 'test',
    studyInstanceUid: study ?? null,
    expiresAt: new Date(Date.now() + (state === 'expired' ? -1000 : 3_600_000)),
  };
});

type Caller = { name: string; headers: Record<string, string>; read: number | 'qido-empty'; store: number };

describe('DICOMweb denial matrix', () => {
  let t: TestServer;
  const callers: Caller[] = [];
  beforeAll(async () => {
    t = await startTestServer();
    const centre = await facilityWithKey(t);
    const { body, contentType } = stowBody([readCorpus(CT.file)]);
    const res = await fetch(`${t.url}/dicomweb/studies`, { method: 'POST', headers: { authorization: `Bearer ${centre.key}`, 'content-type': contentType }, body });
    expect(res.status).toBe(200);

    const cookieOf = (c: { cookieHeader(): string }) => ({ cookie: c.cookieHeader() });
    const withExam = await t.login(Role.PHYSICIAN);
    await grantStudy(t, withExam.userId, centre.facility, S, 'document');
    const without = await t.login(Role.PHYSICIAN);
    await grantStudy(t, without.userId, centre.facility, newUid());
    const analyst = await t.login(Role.ANALYST);
    const admin = await t.login(Role.ADMIN);
    const revoked = await facilityWithKey(t, 'Centre révoqué');
    await revokeApiKeys(forkEm(t.deps), { prefix: revoked.prefix });

    callers.push(
      { name: 'anonymous', headers: {}, read: 401, store: 401 },
      { name: 'physician without the exam', headers: cookieOf(without.client), read: 404, store: 403 },
      { name: 'physician with the exam', headers: cookieOf(withExam.client), read: 200, store: 403 },
      { name: 'analyst', headers: cookieOf(analyst.client), read: 403, store: 403 },
      { name: 'administrator', headers: cookieOf(admin.client), read: 403, store: 403 },
      { name: 'facility key', headers: { authorization: `Bearer ${centre.key}` }, read: 403, store: 200 },
      { name: 'revoked key', headers: { authorization: `Bearer ${revoked.key}` }, read: 401, store: 401 },
      { name: 'share of the study', headers: { cookie: `test_share=${S}` }, read: 200, store: 403 },
      { name: 'share of another study', headers: { cookie: `test_share=${newUid()}` }, read: 404, store: 403 },
      { name: 'expired share', headers: { cookie: `test_share=${S}|expired` }, read: 401, store: 403 },
    );
  });
  afterAll(() => t?.stop());

  it('answers every read route as the caller deserves, and leaks nothing when it refuses', async () => {
    const table: string[] = [];
    const expected: string[] = [];
    for (const caller of callers) {
      for (const [route, url] of READS) {
        const res = await fetch(t.url + url, { headers: caller.headers });
        const body = Buffer.from(await res.arrayBuffer());
        const want = ROOT_SEARCHES.has(route) && caller.read === 404 ? 200 : caller.read;
        table.push(`${caller.name} × ${route}: ${res.status}`);
        expected.push(`${caller.name} × ${route}: ${want}`);
        if (res.status !== 200) {
          expect(res.headers.get('content-type')).toMatch(/^application\/json/);
          expect(body.length).toBeLessThan(100);
          expect(body.toString('latin1')).not.toContain(S);
        } else if (ROOT_SEARCHES.has(route) && caller.read !== 200) {
          expect(JSON.parse(body.toString('utf8'))).toEqual([]);
        } else {
          expect(body.length).toBeGreaterThan(100);
        }
      }
    }
    expect(table).toEqual(expected);
  });

  it('lets only facility keys store', async () => {
    for (const caller of callers) {
      const { body, contentType } = stowBody([readCorpus(CT.file)]);
      const res = await fetch(`${t.url}/dicomweb/studies`, { method: 'POST', headers: { ...caller.headers, 'content-type': contentType }, body });
      expect(`${caller.name}: ${res.status}`).toBe(`${caller.name}: ${caller.store}`);
    }
  });

  it('a physician cannot tell a study they may not read from one that does not exist', async () => {
    const without = callers.find((c) => c.name === 'physician without the exam')!;
    const absent = newUid();
    for (const [route, url] of READS) {
      if (ROOT_SEARCHES.has(route)) continue;
      const real = await fetch(t.url + url, { headers: without.headers });
      const fake = await fetch(t.url + url.replaceAll(S, absent), { headers: without.headers });
      expect([real.status, await real.text()]).toEqual([fake.status, await fake.text()]);
    }
  });
});
