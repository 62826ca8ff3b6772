import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { DocumentType, type Document, type Exam } from '../../src/modules/exam/exam.entity.js';
import { tablesContaining, sql } from '../auth/db-probe.js';
import { Factory } from '../factories.js';
import { capturingLogger, errorCode, startTestServer, type GqlClient, type TestServer } from '../harness.js';
import { PUBLIC_OPERATIONS, allOperations, committedSchema } from '../security/operations.js';
import { REVOKE, SHARE, SHARED, linkIn, openLink, qrTextOf, waitForShareMail } from './helpers.js';

interface MySharesPage {
  myShares: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: Array<{ node: { id: string; status: string; accesses: Array<{ at: string; outcome: string }> } & Record<string, unknown> }>;
  };
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

describe('sharing an exam with a trusted third party (guide §5.3)', () => {
  const capture = capturingLogger();
  let t: TestServer;
  let a: { client: GqlClient; userId: string };
  let b: { client: GqlClient; userId: string };
  let analyst: GqlClient;
  let exam: Exam;
  let report: Document;
  let imaging: Document;
  let otherExam: Exam;
  let otherReport: Document;
  const secrets: string[] = [];

  const share = async (client: GqlClient, documentId: string, email: string, comment?: string) =>
    client.query<{ shareDocument: { id: string; status: string; expiresAt: string; createdAt: string } }>(SHARE, { d: documentId, e: email, c: comment ?? null });
  const mustShare = async (documentId: string, email: string, comment?: string) => {
    const r = await share(a.client, documentId, email, comment);
    if (r.errors) throw new Error(JSON.stringify(r.errors));
    const mail = await waitForShareMail(t, email);
    const { token, link } = linkIn(mail);
    secrets.push(token);
    return { share: r.data!.shareDocument, mail, token, link };
  };

  beforeAll(async () => {
    t = await startTestServer({}, { logger: capture.logger });
    const f = new Factory(t.deps);
    a = await t.login(Role.PHYSICIAN, { firstName: 'Claire', lastName: 'Martin' });
    b = await t.login(Role.PHYSICIAN);
    analyst = (await t.login(Role.ANALYST)).client;
    const facility = await f.facility();
    const patient = await f.patient({ firstName: 'Hélène', lastName: 'Dupont-Moreau', birthDate: '1961-04-23', records: [{ facility, ipp: 'IPP-SECRET-77' }] });
    const made = await f.exam({ patient, facility, title: 'ECHOGRAPHIE CERVICALE', access: [{ physicianId: a.userId }], documents: [{ type: DocumentType.REPORT }, { type: DocumentType.IMAGING }] });
    exam = made.exam;
    [report, imaging] = made.documents as [Document, Document];
    await f.storeReportPdf(report, exam, facility);
    const other = await f.exam({ patient: await f.patient({ records: [{ facility }] }), facility, access: [{ physicianId: a.userId }], documents: [{ type: DocumentType.REPORT }] });
    otherExam = other.exam;
    otherReport = other.documents[0]!;
    await f.storeReportPdf(otherReport, otherExam, facility);
  });
  afterAll(() => t?.stop());

  it('a physician shares a document they see: valid SHARE_TTL_HOURS (72 h), the token stored only as its SHA-256', async () => {
    const before = Date.now();
    const { share: s, token } = await mustShare(imaging.id, 'confrere@hopital.example', 'Avis sur la thyroïde, merci.');
    expect(s.status).toBe('ACTIVE');
    const ttl = Date.parse(s.expiresAt) - before;
    expect(ttl).toBeGreaterThanOrEqual(72 * 3600_000 - 1000);
    expect(ttl).toBeLessThanOrEqual(72 * 3600_000 + 5000);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 bytes of base64url: 256 bits
    const [row] = await sql<{ token_hash: string }>(t, `select token_hash from share where id = ?`, [s.id]);
    expect(row!.token_hash).toBe(sha256(token));
    // The background worker may hold the row (SKIP LOCKED) while sending: wait until it is sent.
    for (let i = 0; i < 200; i++) {
      await t.deps.outbox.drainOnce();
      const [pending] = await sql<{ n: number }>(t, `select count(*)::int as n from outbox_message where sent_at is null and failed_at is null`);
      if (pending!.n === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await tablesContaining(t, token)).toEqual([]);
    const audits = await sql(t, `select action, actor_user_id, document_id, exam_id from audit_event where share_id = ?`, [s.id]);
    expect(audits).toEqual([{ action: 'SHARE_CREATED', actor_user_id: a.userId, document_id: imaging.id, exam_id: exam.id }]);
  });

  it('the e-mail: sender, comment, link and a QR code of exactly that link, expiry, support; no patient data, no token elsewhere', async () => {
    const { mail, token, link, share: s } = await mustShare(report.id, 'aidant@famille.example', 'Voici le compte-rendu.');
    expect(link).toBe(`${t.url}/s/${token}`);
    expect(mail.text).toContain('Des examens ont été sélectionnés à votre attention par Dr Claire Martin.');
    expect(mail.text).toContain('Voici le compte-rendu.');
    expect(mail.text).toContain(`Pour y accéder, cliquez ici : ${link}`);
    expect(mail.html).toContain(`<a href="${link}">ici</a>`);
    expect(qrTextOf(mail)).toBe(link);
    expect(mail.html).toMatch(/<img src="cid:[^"]+"/);
    const until = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'short' }).format(new Date(s.expiresAt));
    expect(mail.text).toContain(`jusqu’au ${until}`);
    expect(mail.text).toContain('03 83 97 13 70');
    const everything = `${mail.subject}\n${mail.text}\n${mail.html}\n${JSON.stringify(mail.headers)}`;
    for (const patientData of ['Hélène', 'Dupont', 'DUPONT', '1961', '23/04', 'IPP-SECRET-77', 'ECHOGRAPHIE', exam.title, report.title, exam.accessionNumber, exam.studyInstanceUid!]) {
      expect(everything, patientData).not.toContain(patientData);
    }
    expect(JSON.stringify(mail.headers)).not.toContain(token);
    expect(mail.subject).not.toContain(token);
    // Only in the link: once in the text, once in the HTML's href.
    expect(mail.text.split(token)).toHaveLength(2);
    expect(mail.html.split(token)).toHaveLength(2);
  });

  it('bad input gets a clear error naming the field and changes nothing', async () => {
    const count = async () => (await sql<{ n: number }>(t, `select (select count(*) from share)::int + (select count(*) from outbox_message)::int as n`))[0]!.n;
    const before = await count();
    for (const email of ['', 'pas-une-adresse', 'a@b', 'x y@exemple.fr', 'a@exemple.fr\r\nBcc: z@evil.example', `${'a'.repeat(250)}@exemple.fr`]) {
      const r = await share(a.client, imaging.id, email);
      expect(errorCode(r), email).toBe('BAD_USER_INPUT');
      expect(r.errors![0]!.extensions!.field).toBe('email');
    }
    const long = await share(a.client, imaging.id, 'ok@exemple.fr', 'x'.repeat(1001));
    expect(errorCode(long)).toBe('BAD_USER_INPUT');
    expect(long.errors![0]!.extensions!.field).toBe('comment');
    expect(await count()).toBe(before);
  });

  it('a physician cannot share what they may not see: the NOT_FOUND of a random id; others are refused', async () => {
    const notMine = await share(b.client, imaging.id, 'x@exemple.fr');
    const random = await share(b.client, '00000000-0000-4000-8000-000000000000', 'x@exemple.fr');
    const garbage = await share(b.client, 'not-an-id', 'x@exemple.fr');
    expect(errorCode(notMine)).toBe('NOT_FOUND');
    expect(notMine.errors![0]!.message).toBe(random.errors![0]!.message);
    expect(errorCode(garbage)).toBe('NOT_FOUND');
    expect(errorCode(await share(analyst, imaging.id, 'x@exemple.fr'))).toBe('FORBIDDEN');
    expect(errorCode(await share(t.client(), imaging.id, 'x@exemple.fr'))).toBe('UNAUTHENTICATED');
    expect((await sql(t, `select 1 from share where creator_id <> ?`, [a.userId])).length).toBe(0);
  });

  it('opening the link: 303 to a token-less page with an HttpOnly SameSite=Strict grant, no referrer; counted, audited, the sharer notified once', async () => {
    const { token, share: s } = await mustShare(imaging.id, 'ouverture@exemple.fr');
    const { client, res } = await openLink(t, token);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/partage');
    expect(res.headers.get('location')).not.toContain(token);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('emage_share='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\//);
    const maxAge = Number(/Max-Age=(\d+)/i.exec(cookie)?.[1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual((Date.parse(s.expiresAt) - Date.now()) / 1000 + 1);
    const grant = client.cookies.get('emage_share')!;
    secrets.push(grant);
    expect(grant).not.toBe(token);
    expect(await tablesContaining(t, grant)).toEqual([]);
    const [stored] = await sql<{ n: number }>(t, `select count(*)::int as n from share_grant where token_hash = ?`, [sha256(grant)]);
    expect(stored!.n).toBe(1);

    await openLink(t, token);
    const [counted] = await sql<{ open_count: number; first_opened_at: string; last_opened_at: string }>(t, `select open_count, first_opened_at, last_opened_at from share where id = ?`, [s.id]);
    expect(counted!.open_count).toBe(2);
    expect(Date.parse(counted!.last_opened_at)).toBeGreaterThan(Date.parse(counted!.first_opened_at));
    const accesses = await sql<{ outcome: string; ip: string; user_agent: string }>(t, `select outcome, ip, user_agent from share_access where share_id = ?`, [s.id]);
    expect(accesses).toHaveLength(2);
    for (const x of accesses) expect(x).toMatchObject({ outcome: 'OPENED', user_agent: 'Recipient-Browser/1.0' });
    expect(accesses[0]!.ip).toBeTruthy();
    const traces = await sql(t, `select action, actor_kind, outcome from audit_event where share_id = ? and action = 'SHARE_OPENED'`, [s.id]);
    expect(traces).toEqual([
      { action: 'SHARE_OPENED', actor_kind: 'SHARE', outcome: 'SUCCESS' },
      { action: 'SHARE_OPENED', actor_kind: 'SHARE', outcome: 'SUCCESS' },
    ]);
    const notes = await sql(t, `select recipient_id, exam_id, read_at from notification where kind = 'SHARE_OPENED'`);
    expect(notes).toEqual([{ recipient_id: a.userId, exam_id: exam.id, read_at: null }]);
    // The sharer sees it in the bell, as a share notice about that exam.
    const bell = await a.client.mustQuery<{ notifications: { edges: Array<{ node: { kind: string; exam: { id: string } } }> } }>(
      `{ notifications(first: 10) { edges { node { kind exam { id } } } } }`,
    );
    expect(bell.notifications.edges.map((e) => e.node)).toContainEqual({ kind: 'SHARE_OPENED', exam: { id: exam.id } });
  });

  it('the grant reads its own document and exam only: sharedDocument, its reports, its study; another exam is 404', async () => {
    const { token } = await mustShare(imaging.id, 'lecture@exemple.fr');
    const { client } = await openLink(t, token);
    const r = await client.mustQuery<{ sharedDocument: Record<string, unknown> & { documents: Array<{ id: string }> } }>(SHARED);
    expect(r.sharedDocument).toMatchObject({
      id: imaging.id,
      type: 'IMAGING',
      studyInstanceUid: exam.studyInstanceUid,
      examTitle: 'ECHOGRAPHIE CERVICALE',
      patientDisplayName: 'Hélène Dupont-Moreau',
      reportUrl: null,
    });
    expect(r.sharedDocument.documents.map((d) => d.id)).toEqual([imaging.id, report.id]);

    const own = await client.fetch(`/api/documents/${report.id}/report.pdf`);
    expect(own.status).toBe(200);
    expect(own.headers.get('content-type')).toBe('application/pdf');
    const another = await client.fetch(`/api/documents/${otherReport.id}/report.pdf`);
    const missing = await client.fetch(`/api/documents/00000000-0000-4000-8000-000000000000/report.pdf`);
    expect(another.status).toBe(404);
    expect(await another.text()).toBe(await missing.text());

    const qido = (uid: string) => client.fetch(`/dicomweb/studies/${uid}/series`, { headers: { accept: 'application/dicom+json' } });
    expect((await qido(exam.studyInstanceUid!)).status).toBe(200);
    expect((await qido(otherExam.studyInstanceUid!)).status).toBe(404);
    const all = await client.fetch(`/dicomweb/studies`, { headers: { accept: 'application/dicom+json' } });
    const listed = all.status === 204 ? [] : ((await all.json()) as Array<Record<string, { Value?: string[] }>>);
    expect(listed.map((s) => s['0020000D']?.Value?.[0])).toEqual([exam.studyInstanceUid]);
  });

  it('with a grant, every other GraphQL root field is refused (generated from schema.graphql)', async () => {
    const { token } = await mustShare(imaging.id, 'matrice@exemple.fr');
    const { client } = await openLink(t, token);
    const ops = allOperations(committedSchema()).filter((op) => op.kind !== 'subscription' && op.name !== 'Query.sharedDocument' && !PUBLIC_OPERATIONS.has(op.name));
    expect(ops.map((o) => o.name)).toEqual(expect.arrayContaining(['Query.patients', 'Query.patient', 'Query.exam', 'Query.document', 'Query.notifications', 'Query.myShares', 'Mutation.shareDocument', 'Mutation.revokeShare']));
    for (const op of ops) {
      const r = await client.query(op.document, op.variables);
      expect(errorCode(r), `${op.name}: ${JSON.stringify(r)}`).toBe('FORBIDDEN');
      expect(r.data?.[op.field.name] ?? null, op.name).toBeNull();
    }
    for (const name of ['patients', 'patient', 'exam', 'notifications']) {
      const op = ops.find((o) => o.name === `Query.${name}`)!;
      expect(errorCode(await client.query(op.document, op.variables)), name).toBe('FORBIDDEN');
    }
    expect((await client.mustQuery<{ me: unknown }>(`{ me { id } }`)).me).toBeNull();
    // The grant is no session: a physician's sharedDocument is refused too.
    expect(errorCode(await a.client.query(SHARED))).toBe('FORBIDDEN');
    expect(errorCode(await t.client().query(SHARED))).toBe('UNAUTHENTICATED');
  });

  it('revocation: the creator only (others get the NOT_FOUND of a random id), effective on the very next request', async () => {
    const { token, share: s } = await mustShare(imaging.id, 'revocation@exemple.fr');
    const { client } = await openLink(t, token);
    expect((await client.mustQuery<{ sharedDocument: { id: string } }>(SHARED)).sharedDocument.id).toBe(imaging.id);

    const byOther = await b.client.query(REVOKE, { id: s.id });
    const random = await b.client.query(REVOKE, { id: '00000000-0000-4000-8000-000000000000' });
    expect(errorCode(byOther)).toBe('NOT_FOUND');
    expect(byOther.errors![0]!.message).toBe(random.errors![0]!.message);
    expect(errorCode(await analyst.query(REVOKE, { id: s.id }))).toBe('FORBIDDEN');
    expect((await client.mustQuery<{ sharedDocument: { id: string } }>(SHARED)).sharedDocument.id).toBe(imaging.id);

    const revoked = await a.client.mustQuery<{ revokeShare: { status: string; revokedAt: string } }>(REVOKE, { id: s.id });
    expect(revoked.revokeShare.status).toBe('REVOKED');
    expect(errorCode(await client.query(SHARED))).toBe('UNAUTHENTICATED');
    expect((await client.fetch(`/dicomweb/studies/${exam.studyInstanceUid}/series`, { headers: { accept: 'application/dicom+json' } })).status).toBe(401);
    expect((await client.fetch(`/api/documents/${report.id}/report.pdf`)).status).toBe(401);
    expect(await (await client.fetch('/api/share/state')).json()).toEqual({ state: 'REVOKED' });

    const again = await openLink(t, token);
    expect(again.res.status).toBe(410);
    expect(await again.res.text()).toContain('Ce lien de partage a été révoqué par le médecin.');
    expect(again.res.headers.getSetCookie()).toEqual([]);
    const outcomes = await sql<{ outcome: string }>(t, `select outcome from share_access where share_id = ? order by at`, [s.id]);
    expect(outcomes.map((o) => o.outcome)).toEqual(['OPENED', 'REVOKED']);
    // Revoking twice keeps the first date.
    const twice = await a.client.mustQuery<{ revokeShare: { revokedAt: string } }>(REVOKE, { id: s.id });
    expect(twice.revokeShare.revokedAt).toBe(revoked.revokeShare.revokedAt);
  });

  it('an expired share is refused on the next request, GraphQL and DICOMweb, and its link says expired', async () => {
    const { token, share: s } = await mustShare(imaging.id, 'expiration@exemple.fr');
    const { client } = await openLink(t, token);
    expect((await client.mustQuery<{ sharedDocument: { id: string } }>(SHARED)).sharedDocument.id).toBe(imaging.id);
    await sql(t, `update share set expires_at = now() - interval '1 second' where id = ?`, [s.id]);
    expect(errorCode(await client.query(SHARED))).toBe('UNAUTHENTICATED');
    expect((await client.fetch(`/dicomweb/studies/${exam.studyInstanceUid}/series`, { headers: { accept: 'application/dicom+json' } })).status).toBe(401);
    expect(await (await client.fetch('/api/share/state')).json()).toEqual({ state: 'EXPIRED' });
    const again = await openLink(t, token);
    expect(again.res.status).toBe(410);
    const page = await again.res.text();
    expect(page).toContain('Ce lien de partage a expiré.');
    expect(page).not.toMatch(/Hélène|Dupont|ECHOGRAPHIE/);
  });

  it('unknown and wrong tokens look alike, and say nothing else', async () => {
    const { token } = await mustShare(imaging.id, 'faux@exemple.fr');
    const wrong = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    const pages = await Promise.all(['n'.repeat(43), wrong, 'court', 'a.b~c'].map(async (x) => {
      const { res } = await openLink(t, x);
      return { status: res.status, body: await res.text(), cookies: res.headers.getSetCookie(), referrer: res.headers.get('referrer-policy') };
    }));
    for (const p of pages) {
      expect(p).toEqual(pages[0]);
      expect(p.status).toBe(404);
      expect(p.referrer).toBe('no-referrer');
      expect(p.body).toContain('Ce lien de partage n’est pas valide.');
    }
    expect(await (await t.client().fetch('/api/share/state')).json()).toEqual({ state: 'NONE' });
  });

  it('« Mes partages »: the creator’s shares with status, openings and their detail; nobody else’s', async () => {
    const { share: s, token } = await mustShare(report.id, 'liste@exemple.fr', 'Pour la liste');
    await openLink(t, token);
    const q = `query($after: String) { myShares(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor }
      edges { node { id recipientEmail comment status openCount lastOpenedAt firstOpenedAt expiresAt revokedAt document { id title type } accesses { at outcome } } } } }`;
    const page = await a.client.mustQuery<MySharesPage>(q);
    const first = page.myShares.edges[0]!.node;
    expect(first).toMatchObject({ id: s.id, recipientEmail: 'liste@exemple.fr', comment: 'Pour la liste', status: 'ACTIVE', openCount: 1, document: { id: report.id, type: 'REPORT' } });
    expect(first.accesses).toEqual([{ at: expect.any(String), outcome: 'OPENED' }]);
    expect(page.myShares.pageInfo.hasNextPage).toBe(true);
    const all: Array<MySharesPage['myShares']['edges'][number]['node']> = [];
    let after: string | null = null;
    do {
      const p: MySharesPage = await a.client.mustQuery<MySharesPage>(q, { after });
      all.push(...p.myShares.edges.map((e) => e.node));
      after = p.myShares.pageInfo.hasNextPage ? p.myShares.pageInfo.endCursor : null;
    } while (after);
    expect(all).toHaveLength(page.myShares.totalCount);
    expect(new Set(all.map((x) => x.status))).toEqual(new Set(['ACTIVE', 'REVOKED', 'EXPIRED']));
    expect((await b.client.mustQuery<MySharesPage>(q)).myShares).toMatchObject({ totalCount: 0, edges: [] });
    expect(errorCode(await a.client.query(`{ myShares(after: "garbage") { totalCount } }`))).toBe('BAD_USER_INPUT');
  });

  it('no share token nor grant appears in the server logs', async () => {
    await t.deps.outbox.drainOnce();
    const logged = capture.text();
    expect(logged).toMatch(/\/s\/\[token\]/); // the capture is real: request lines were logged
    expect(secrets.length).toBeGreaterThan(5);
    for (const secret of secrets) expect(logged.includes(secret), 'a secret was logged').toBe(false);
  });
});
