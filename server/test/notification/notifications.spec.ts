import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { forkEm } from '../../src/bootstrap.js';
import { Role } from '../../src/modules/auth/user.entity.js';
import type { CaughtMail } from '../../src/infra/mail/smtp-catcher.js';
import { errorCode, randomRpps, startTestServer, type GqlClient, type GqlResult, type TestServer } from '../harness.js';
import { PUBLISH, createTestFacility, publishInput, storeStudy, type PublishedExamResult, type TestFacility } from '../publish/fixtures.js';
import { openSocket, type LiveSocket } from '../security/ws.js';
import { NOTIFICATION_ADDED, NOTIFICATION_ADDED_AFTER, UNREAD_COUNT, liveFor, notificationTopic, subscribe, unreadTopic, untilListening, type AddedEvent, type ResumedEvent } from './live.js';

const LIST = `query($first: Int!, $after: String, $unreadOnly: Boolean) {
  notifications(first: $first, after: $after, unreadOnly: $unreadOnly) {
    unreadCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id createdAt readAt exam { id title date } patient { id displayName } } }
  }
}`;
const MARK_READ = `mutation($id: ID!) { markNotificationRead(id: $id) { id readAt } }`;
const MARK_ALL = `mutation { markAllNotificationsRead }`;
const UNREAD = `{ unreadNotificationCount }`;

interface ListResult {
  notifications: {
    unreadCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: Array<{ cursor: string; node: { id: string; readAt: string | null; exam: { id: string; title: string }; patient: { displayName: string } } }>;
  };
}

interface Physician {
  client: GqlClient;
  userId: string;
  email: string;
  rpps: string;
}

/** The patient of publishInput(): every item below must stay out of the e-mail. */
const PATIENT = { ipp: 'IPP-77120934', lastName: 'Vauquelin-Tessier', firstName: 'Bérangère', birthName: 'Tessier', birthDate: '1958-07-23' };
const TITLE = 'IRM DU GENOU DROIT';
const EXAM_DATE = '2025-10-14T08:15:00.000Z';

describe('notifications (guide §4): who receives what, over GraphQL and graphql-ws', () => {
  let t: TestServer;
  let centre: TestFacility;
  let accession = 0;
  const sockets: LiveSocket[] = [];

  beforeAll(async () => {
    t = await startTestServer();
    centre = await createTestFacility(t, "Centre d'imagerie des notifications");
  });
  afterEach(async () => {
    await Promise.all(sockets.splice(0).map((s) => s.client.dispose()));
  });
  afterAll(() => t?.stop());

  async function physician(overrides: { firstName?: string; lastName?: string } = {}): Promise<Physician> {
    const rpps = randomRpps();
    const { client, userId, email } = await t.login(Role.PHYSICIAN, { rpps, ...overrides });
    return { client, userId, email, rpps };
  }

  async function live(p: { client: GqlClient }): Promise<LiveSocket> {
    const s = await liveFor(t.url, p.client.cookieHeader());
    sockets.push(s);
    return s;
  }

  /** Publishes a new exam (new accession number) for a prescriber, through the facility's API key. */
  async function publish(prescriberRpps: string, overrides: Record<string, unknown> = {}): Promise<{ exam: PublishedExamResult; input: Record<string, unknown> }> {
    const study = await storeStudy(t, centre.facility);
    accession++;
    const input = publishInput(study, prescriberRpps, { accessionNumber: `NOTIF-${accession}`, patient: PATIENT, title: TITLE, date: EXAM_DATE, ...overrides });
    return { exam: await republish(input), input };
  }

  async function republish(input: Record<string, unknown>): Promise<PublishedExamResult> {
    const r = await centre.client.query<{ publishExam: PublishedExamResult }>(PUBLISH, { input });
    if (r.errors?.length) throw new Error(`publishExam failed: ${JSON.stringify(r.errors)}`);
    return r.data!.publishExam;
  }

  const sql = <T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> => forkEm(t.deps).getConnection().execute<T[]>(query, params);

  const list = (p: Physician, vars: Record<string, unknown> = {}): Promise<ListResult> => p.client.mustQuery<ListResult>(LIST, { first: 20, ...vars });

  describe('subscriptions are refused to anyone but the physician they belong to', () => {
    it('a WebSocket without a session is closed at connection_init (4403) and no subscription starts', async () => {
      const socket = openSocket(t.url);
      const feed = subscribe<AddedEvent>(socket.client, NOTIFICATION_ADDED);
      expect(await socket.closed).toBe(4403);
      expect(await feed.ended).toBe('error');
      expect(feed.events).toEqual([]);
      await socket.client.dispose();
    });

    it('a cookie of an ended session is refused the same way', async () => {
      const p = await physician();
      const cookie = p.client.cookieHeader();
      await p.client.mustQuery(`mutation { logout }`);
      const socket = openSocket(t.url, cookie);
      expect(await socket.closed).toBe(4403);
      await socket.client.dispose();
    });

    it("an analyst's subscriptions are refused with FORBIDDEN", async () => {
      const { client } = await t.login(Role.ANALYST);
      const socket = await live({ client });
      for (const query of [NOTIFICATION_ADDED, UNREAD_COUNT]) {
        const feed = subscribe(socket.client, query);
        // graphql-ws ends a subscription refused at its start with the refusal, then completes.
        await feed.ended;
        expect(feed.errors.map((e) => e.code)).toEqual(['FORBIDDEN']);
        expect(feed.events).toEqual([]);
      }
    });

    it("a physician's subscription carries their own notification, once, and never another physician's", async () => {
      const claire = await physician();
      const paul = await physician();
      const claireFeed = subscribe<AddedEvent>((await live(claire)).client, NOTIFICATION_ADDED);
      const paulFeed = subscribe<AddedEvent>((await live(paul)).client, NOTIFICATION_ADDED);
      const paulCount = subscribe<{ unreadNotificationCount: number }>((await live(paul)).client, UNREAD_COUNT);
      await untilListening(t.deps.pubsub, notificationTopic(claire.userId));
      await untilListening(t.deps.pubsub, notificationTopic(paul.userId));
      await untilListening(t.deps.pubsub, unreadTopic(paul.userId));

      const { exam } = await publish(claire.rpps);
      const event = await claireFeed.next();
      expect(event.notificationAdded.exam).toEqual({ id: exam.id, title: TITLE });
      expect(event.notificationAdded.patient.displayName).toContain('Vauquelin-Tessier');
      expect(event.notificationAdded.readAt).toBeNull();

      // Events reach one replica in commit order: once Paul receives his own, later
      // notification, anything addressed to him by the first publish would already be there.
      const { exam: paulsExam } = await publish(paul.rpps);
      expect((await paulFeed.next()).notificationAdded.exam.id).toBe(paulsExam.id);
      expect(paulFeed.events).toHaveLength(1);
      expect((await paulCount.next()).unreadNotificationCount).toBe(1);
      expect(paulCount.events).toHaveLength(1);
      expect(claireFeed.events).toHaveLength(1);
      expect(claireFeed.errors).toEqual([]);
      expect(paulFeed.errors).toEqual([]);
    });
  });

  describe('a publication notifies the prescriber once', () => {
    it('the unread count is pushed live, and drops when the notification is read', async () => {
      const p = await physician();
      const counts = subscribe<{ unreadNotificationCount: number }>((await live(p)).client, UNREAD_COUNT);
      await untilListening(t.deps.pubsub, unreadTopic(p.userId));
      await publish(p.rpps);
      expect((await counts.next()).unreadNotificationCount).toBe(1);

      const [first] = (await list(p)).notifications.edges;
      await p.client.mustQuery(MARK_READ, { id: first!.node.id });
      expect((await counts.next()).unreadNotificationCount).toBe(0);
      expect((await p.client.mustQuery<{ unreadNotificationCount: number }>(UNREAD)).unreadNotificationCount).toBe(0);
    });

    it('re-publishing the same exam notifies nobody twice: no row, no event, no e-mail', async () => {
      const p = await physician();
      const feed = subscribe<AddedEvent>((await live(p)).client, NOTIFICATION_ADDED);
      await untilListening(t.deps.pubsub, notificationTopic(p.userId));
      const { exam, input } = await publish(p.rpps);
      expect((await feed.next()).notificationAdded.exam.id).toBe(exam.id);
      await t.waitForMail((m) => m.to.includes(p.email));

      await republish({ ...input, title: `${TITLE} (corrigé)` });
      await republish(input);
      const { exam: marker } = await publish(p.rpps);
      const markerEvent = await feed.next();
      expect(markerEvent.notificationAdded.exam.id).toBe(marker.id);
      expect(feed.events).toHaveLength(2);

      const rows = await sql<{ n: number }>(`select count(*)::int as n from notification where exam_id = ?`, [exam.id]);
      expect(rows[0]?.n).toBe(1);
      await t.waitForMail((m) => m.text.includes(markerEvent.notificationAdded.id));
      const outbox = await sql<{ n: number }>(`select count(*)::int as n from outbox_message where "to" = ?`, [p.email]);
      expect(outbox[0]?.n).toBe(2);
      expect(t.catcher.messages().filter((m) => m.to.includes(p.email))).toHaveLength(2);
    });

    it('correspondents are notified only when the facility asks for it', async () => {
      const prescriber = await physician();
      const silent = await physician();
      const asked = await physician();
      await publish(prescriber.rpps, { correspondentRpps: [silent.rpps] });
      await publish(prescriber.rpps, { correspondentRpps: [asked.rpps], notifyCorrespondents: true });
      expect((await list(prescriber)).notifications.edges).toHaveLength(2);
      expect((await list(silent)).notifications.edges).toHaveLength(0);
      expect((await list(asked)).notifications.edges).toHaveLength(1);
    });
  });

  describe('a subscription resumes after the last notification its client received (ADR 0116)', () => {
    it('a new socket subscribing with the cursor gets what was published while none was open, oldest first, then the live ones', async () => {
      const p = await physician();
      const first = await live(p);
      const feed = subscribe<ResumedEvent>(first.client, NOTIFICATION_ADDED_AFTER);
      await untilListening(t.deps.pubsub, notificationTopic(p.userId));
      const { exam: seen } = await publish(p.rpps);
      const last = (await feed.next()).notificationAdded;
      expect(last.exam.id).toBe(seen.id);
      await first.client.dispose();

      const missed = [(await publish(p.rpps)).exam.id, (await publish(p.rpps)).exam.id];
      const resumed = subscribe<ResumedEvent>((await live(p)).client, NOTIFICATION_ADDED_AFTER, { after: last.cursor });
      expect((await resumed.next()).notificationAdded.exam.id).toBe(missed[0]);
      expect((await resumed.next()).notificationAdded.exam.id).toBe(missed[1]);
      await untilListening(t.deps.pubsub, notificationTopic(p.userId));
      const { exam: later } = await publish(p.rpps);
      expect((await resumed.next()).notificationAdded.exam.id).toBe(later.id);
      // The one the client held is not sent again, nor any twice.
      expect(resumed.events.map((e) => e.notificationAdded.exam.id)).toEqual([...missed, later.id]);
      expect(resumed.errors).toEqual([]);
    });

    it("a cursor that is not one of ours is refused with BAD_USER_INPUT, and another physician's cursor resumes only one's own", async () => {
      const claire = await physician();
      const paul = await physician();
      await publish(claire.rpps);
      const [claires] = (await list(claire)).notifications.edges;

      const bad = subscribe<ResumedEvent>((await live(paul)).client, NOTIFICATION_ADDED_AFTER, { after: 'bm90LWEtY3Vyc29y' });
      await bad.ended;
      expect(bad.errors.map((e) => e.code)).toEqual(['BAD_USER_INPUT']);
      expect(bad.events).toEqual([]);

      // Claire's cursor names a time and her notification's id: Paul resumes from there with his own only.
      await publish(claire.rpps);
      const { exam: pauls } = await publish(paul.rpps);
      const feed = subscribe<ResumedEvent>((await live(paul)).client, NOTIFICATION_ADDED_AFTER, { after: claires!.cursor });
      expect((await feed.next()).notificationAdded.exam.id).toBe(pauls.id);
      await untilListening(t.deps.pubsub, notificationTopic(paul.userId));
      const { exam: marker } = await publish(paul.rpps);
      expect((await feed.next()).notificationAdded.exam.id).toBe(marker.id);
      expect(feed.events.map((e) => e.notificationAdded.exam.id)).toEqual([pauls.id, marker.id]);
    });

    it('an analyst is refused notificationAdded(after:) with FORBIDDEN, cursor or not', async () => {
      const claire = await physician();
      await publish(claire.rpps);
      const [edge] = (await list(claire)).notifications.edges;
      const { client } = await t.login(Role.ANALYST);
      const feed = subscribe<ResumedEvent>((await live({ client })).client, NOTIFICATION_ADDED_AFTER, { after: edge!.cursor });
      await feed.ended;
      expect(feed.errors.map((e) => e.code)).toEqual(['FORBIDDEN']);
      expect(feed.events).toEqual([]);
    });
  });

  describe('queries and mutations see only your own notifications', () => {
    it('the list is newest first, paged with a cursor, with the exam and the patient, and filters unread ones', async () => {
      const p = await physician();
      const exams: string[] = [];
      for (let i = 0; i < 3; i++) exams.push((await publish(p.rpps, { title: `EXAMEN ${i}` })).exam.id);

      const page1 = await list(p, { first: 2 });
      expect(page1.notifications.unreadCount).toBe(3);
      expect(page1.notifications.edges.map((e) => e.node.exam.id)).toEqual([exams[2], exams[1]]);
      expect(page1.notifications.edges[0]!.node.exam.title).toBe('EXAMEN 2');
      expect(page1.notifications.pageInfo.hasNextPage).toBe(true);
      const page2 = await list(p, { first: 2, after: page1.notifications.pageInfo.endCursor });
      expect(page2.notifications.edges.map((e) => e.node.exam.id)).toEqual([exams[0]]);
      expect(page2.notifications.pageInfo.hasNextPage).toBe(false);

      await p.client.mustQuery(MARK_READ, { id: page1.notifications.edges[0]!.node.id });
      const unread = await list(p, { unreadOnly: true });
      expect(unread.notifications.edges.map((e) => e.node.exam.id)).toEqual([exams[1], exams[0]]);
      expect(unread.notifications.unreadCount).toBe(2);
    });

    it('bad paging input is refused with BAD_USER_INPUT', async () => {
      const p = await physician();
      expect(errorCode(await p.client.query(LIST, { first: 20, after: 'not-a-cursor' }))).toBe('BAD_USER_INPUT');
      expect(errorCode(await p.client.query(LIST, { first: 0 }))).toBe('BAD_USER_INPUT');
      expect(errorCode(await p.client.query(LIST, { first: 101 }))).toBe('BAD_USER_INPUT');
    });

    it("another physician's notification id answers NOT_FOUND, exactly like a random id, and stays unread", async () => {
      const owner = await physician();
      const intruder = await physician();
      await publish(owner.rpps);
      const [edge] = (await list(owner)).notifications.edges;
      const theirs = edge!.node.id;

      const strip = (r: GqlResult) => ({ data: r.data, errors: r.errors?.map((e) => ({ message: e.message, code: e.extensions?.code })) });
      const onTheirs = await intruder.client.query(MARK_READ, { id: theirs });
      const onRandom = await intruder.client.query(MARK_READ, { id: randomUUID() });
      const onGarbage = await intruder.client.query(MARK_READ, { id: 'not-an-id' });
      expect(errorCode(onTheirs)).toBe('NOT_FOUND');
      expect(strip(onTheirs)).toEqual(strip(onRandom));
      expect(strip(onTheirs)).toEqual(strip(onGarbage));

      expect(await intruder.client.mustQuery(MARK_ALL)).toEqual({ markAllNotificationsRead: 0 });
      expect((await list(intruder)).notifications).toMatchObject({ unreadCount: 0, edges: [] });
      expect((await list(owner)).notifications.edges[0]!.node.readAt).toBeNull();
      expect((await owner.client.mustQuery(UNREAD)).unreadNotificationCount).toBe(1);
      expect(await owner.client.mustQuery(MARK_ALL)).toEqual({ markAllNotificationsRead: 1 });
      expect((await owner.client.mustQuery(UNREAD)).unreadNotificationCount).toBe(0);
    });

    it('analysts and anonymous callers get no notification data', async () => {
      const { client: analyst } = await t.login(Role.ANALYST);
      for (const [query, vars] of [[LIST, { first: 5 }], [UNREAD, {}], [MARK_ALL, {}], [MARK_READ, { id: randomUUID() }]] as const) {
        expect(errorCode(await analyst.query(query, vars))).toBe('FORBIDDEN');
        expect(errorCode(await t.client().query(query, vars))).toBe('UNAUTHENTICATED');
      }
    });
  });

  describe('the e-mail (a new exam is available, and nothing about the patient)', () => {
    function forbiddenIn(mail: CaughtMail): string[] {
      const haystack = [mail.subject, mail.text, mail.html, JSON.stringify(mail.headers)].join('\n').toLowerCase();
      const needles = [
        PATIENT.lastName, 'Vauquelin', 'Tessier', PATIENT.firstName, 'Berangere', PATIENT.ipp, '77120934',
        PATIENT.birthDate, '23/07/1958', '1958', TITLE, 'genou', '14/10/2025', '2025-10-14',
      ];
      return needles.filter((n) => haystack.includes(n.toLowerCase()));
    }

    it('has a subject, an HTML and a text part in French, the notification link and the support contact, and no patient data', async () => {
      const p = await physician({ firstName: 'Claire', lastName: 'Martin' });
      await publish(p.rpps);
      const [edge] = (await list(p)).notifications.edges;
      const mail = await t.waitForMail((m) => m.to.includes(p.email));

      expect(forbiddenIn(mail)).toEqual([]);
      expect(mail.subject).toBe('e-mage : un nouvel examen est disponible');
      const link = `${t.url}/notifications/${edge!.node.id}`;
      expect(mail.text).toContain(link);
      expect(mail.html).toContain(`href="${link}"`);
      expect(mail.html).toContain('<html lang="fr"');
      const { supportPhone, supportEmail } = t.deps.config;
      for (const part of [mail.text, mail.html]) {
        expect(part).toContain(supportPhone);
        expect(part).toContain(supportEmail);
        expect(part).toContain('aucune donnée patient');
      }
      expect(mail.headers['x-idempotency-key']).toMatch(/^[0-9a-f]{32}$/);
      expect(mail.headers['message-id']).toBe(`<${mail.headers['x-idempotency-key']}@e-mage>`);
    });

    it("is in the physician's language when they chose English", async () => {
      const p = await physician();
      await p.client.mustQuery(`mutation { updatePreferences(input: { locale: "en" }) { locale } }`);
      await publish(p.rpps);
      const mail = await t.waitForMail((m) => m.to.includes(p.email));
      expect(mail.subject).toBe('e-mage: a new exam is available');
      expect(mail.html).toContain('<html lang="en"');
      expect(mail.text).toContain('no patient data');
      expect(forbiddenIn(mail)).toEqual([]);
    });

    it('is not sent when the physician turned e-mails off, while the in-app notification still appears', async () => {
      const quiet = await physician();
      const colleague = await physician();
      const off = await quiet.client.mustQuery<{ updatePreferences: { emailNotifications: boolean } }>(
        `mutation { updatePreferences(input: { emailNotifications: false }) { emailNotifications } }`,
      );
      expect(off.updatePreferences.emailNotifications).toBe(false);
      const feed = subscribe<AddedEvent>((await live(quiet)).client, NOTIFICATION_ADDED);
      await untilListening(t.deps.pubsub, notificationTopic(quiet.userId));

      // The colleague's e-mail leaves in the same transaction: once it arrived, the quiet
      // physician's would have too.
      const { exam } = await publish(quiet.rpps, { correspondentRpps: [colleague.rpps], notifyCorrespondents: true });
      expect((await feed.next()).notificationAdded.exam.id).toBe(exam.id);
      await t.waitForMail((m) => m.to.includes(colleague.email));
      expect((await list(quiet)).notifications.unreadCount).toBe(1);
      expect(t.catcher.messages().filter((m) => m.to.includes(quiet.email))).toEqual([]);
      const outbox = await sql<{ n: number }>(`select count(*)::int as n from outbox_message where "to" = ?`, [quiet.email]);
      expect(outbox[0]?.n).toBe(0);
    });
  });
});
