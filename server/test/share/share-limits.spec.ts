import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { DocumentType, type Document, type Exam } from '../../src/modules/exam/exam.entity.js';
import { Factory } from '../factories.js';
import { errorCode, startTestServer, type GqlClient, type TestServer } from '../harness.js';
import { SHARE, SHARED, linkIn, openLink, waitForShareMail } from './helpers.js';

// A share that lives 7.2 seconds, and rate limits at their production values.
describe('share lifetime and rate limits', () => {
  let t: TestServer;
  let a: { client: GqlClient; userId: string };
  let b: { client: GqlClient; userId: string };
  let exam: Exam;
  let imaging: Document;

  beforeAll(async () => {
    t = await startTestServer({ SHARE_TTL_HOURS: '0.002', RATE_LIMIT_SCALE: '1' });
    const f = new Factory(t.deps);
    [a, b] = await Promise.all([t.login(Role.PHYSICIAN), t.login(Role.PHYSICIAN)]);
    const facility = await f.facility();
    const patient = await f.patient({ records: [{ facility }] });
    const made = await f.exam({ patient, facility, access: [{ physicianId: a.userId }, { physicianId: b.userId }], documents: [{ type: DocumentType.REPORT }, { type: DocumentType.IMAGING }] });
    exam = made.exam;
    imaging = made.documents[1]!;
    await f.storeReportPdf(made.documents[0]!, exam, facility);
  });
  afterAll(() => t?.stop());

  it('after SHARE_TTL_HOURS the grant is refused on its next request (GraphQL, DICOMweb) and the link says expired', async () => {
    const r = await a.client.mustQuery<{ shareDocument: { expiresAt: string } }>(SHARE, { d: imaging.id, e: 'ttl@exemple.fr', c: null });
    expect(Date.parse(r.shareDocument.expiresAt) - Date.now()).toBeLessThanOrEqual(7200);
    const { token } = linkIn(await waitForShareMail(t, 'ttl@exemple.fr'));
    const { client, res } = await openLink(t, token);
    expect(res.status).toBe(303);
    const series = () => client.fetch(`/dicomweb/studies/${exam.studyInstanceUid}/series`, { headers: { accept: 'application/dicom+json' } });
    expect((await series()).status).toBe(200);
    // Wait for the expiry the way the share page does: by asking the server.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const { state } = (await (await client.fetch('/api/share/state')).json()) as { state: string };
      if (state === 'EXPIRED') break;
      expect(state).toBe('ACTIVE');
      if (Date.now() > deadline) throw new Error('the share never expired');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(errorCode(await client.query(SHARED))).toBe('UNAUTHENTICATED');
    expect((await series()).status).toBe(401);
    const again = await openLink(t, token);
    expect(again.res.status).toBe(410);
    expect(await again.res.text()).toContain('Ce lien de partage a expiré.');
  });

  it('guessing tokens is rate-limited per address: past 30 attempts in 15 minutes even a real link is refused', async () => {
    await a.client.mustQuery(SHARE, { d: imaging.id, e: 'devinette@exemple.fr', c: null });
    const { token } = linkIn(await waitForShareMail(t, 'devinette@exemple.fr'));
    // Fixed 15-minute windows: the expiry test above used 2 of the 30, and a window that happens
    // to roll over during the loop only delays the refusal, hence a bound of two windows.
    let refusedAfter = 0;
    for (let i = 0; i < 61 && !refusedAfter; i++) {
      const { res } = await openLink(t, `guess${String(i).padStart(40, '0')}`);
      if (res.status === 429) refusedAfter = i + 1;
      else expect(res.status).toBe(404);
    }
    expect(refusedAfter).toBeGreaterThan(0);
    const { res } = await openLink(t, token);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(await res.text()).toContain('Trop de tentatives');
  });

  it('share creation is rate-limited per physician (30 an hour), not for their colleagues', async () => {
    const codes: Array<string | undefined> = [];
    // 2 shares were made above.
    for (let i = 0; i < 29; i++) codes.push(errorCode(await a.client.query(SHARE, { d: imaging.id, e: `limite${i}@exemple.fr`, c: null })));
    expect(codes.slice(0, 28).every((c) => c === undefined)).toBe(true);
    expect(codes[28]).toBe('RATE_LIMITED');
    expect(errorCode(await b.client.query(SHARE, { d: imaging.id, e: 'collegue@exemple.fr', c: null }))).toBeUndefined();
  });
});
