import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkEm } from '../../src/bootstrap.js';
import { Role } from '../../src/modules/auth/user.entity.js';
import { randomRpps, startTestServer, type TestServer } from '../harness.js';
import { PUBLISH, createTestFacility, publishInput, storeStudy, type PublishedExamResult, type TestFacility } from '../publish/fixtures.js';
import { NOTIFICATION_ADDED, UNREAD_COUNT, liveFor, notificationTopic, subscribe, unreadTopic, untilListening, type AddedEvent } from './live.js';

describe('two replicas on one database: a notification committed on A reaches a browser on B', () => {
  let a: TestServer;
  let b: TestServer;
  let centre: TestFacility;
  beforeAll(async () => {
    a = await startTestServer();
    b = await startTestServer({ DATABASE_URL: a.db.url });
    centre = await createTestFacility(a, 'Centre multi-répliques');
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('a subscriber on B receives the exam published through A, once, and its live unread count', async () => {
    const rpps = randomRpps();
    // The session is a database row: a login on A is valid on B, like behind a load balancer.
    const { client, userId } = await a.login(Role.PHYSICIAN, { rpps });
    const socket = await liveFor(b.url, client.cookieHeader());
    const added = subscribe<AddedEvent>(socket.client, NOTIFICATION_ADDED);
    const counts = subscribe<{ unreadNotificationCount: number }>(socket.client, UNREAD_COUNT);
    await untilListening(b.deps.pubsub, notificationTopic(userId));
    await untilListening(b.deps.pubsub, unreadTopic(userId));

    const study = await storeStudy(a, centre.facility);
    const input = publishInput(study, rpps, { accessionNumber: 'REPLICA-1' });
    const publish = async (via: TestServer, what = input) => {
      const facility = via.client();
      facility.headers.authorization = `Bearer ${centre.key}`;
      const r = await facility.query<{ publishExam: PublishedExamResult }>(PUBLISH, { input: what });
      if (r.errors?.length) throw new Error(JSON.stringify(r.errors));
      return r.data!.publishExam;
    };
    const exam = await publish(a);
    const event = await added.next();
    expect(event.notificationAdded.exam).toEqual({ id: exam.id, title: 'SCANNER THORACIQUE' });
    expect(event.notificationAdded.patient.displayName).toContain('Dupont-Moreau');
    expect((await counts.next()).unreadNotificationCount).toBe(1);

    // Re-published through either replica: nobody is notified twice. A later exam is the marker
    // that proves nothing else was on its way (events arrive in commit order).
    await publish(b);
    await publish(a);
    const marker = await publish(a, publishInput(await storeStudy(a, centre.facility), rpps, { accessionNumber: 'REPLICA-2' }));
    expect((await added.next()).notificationAdded.exam.id).toBe(marker.id);
    expect(added.events).toHaveLength(2);
    expect(added.errors).toEqual([]);
    const rows = await forkEm(a.deps).getConnection().execute<Array<{ n: number }>>(`select count(*)::int as n from notification where recipient_id = ?`, [userId]);
    expect(rows[0]?.n).toBe(2);
    await socket.client.dispose();
  });
});
