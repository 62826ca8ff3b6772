import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultyRelay, type FaultyRelay } from '../../resilience/support/smtp-faults.js';
import { Role } from '../../src/modules/auth/user.entity.js';
import { DocumentType, type Document } from '../../src/modules/exam/exam.entity.js';
import { sql } from '../auth/db-probe.js';
import { Factory } from '../factories.js';
import { startTestServer, type GqlClient, type TestServer } from '../harness.js';
import { REVOKE, SHARE } from './helpers.js';

const MY_SHARES = `{ myShares(first: 50) { edges { node { id recipientEmail status deliveryStatus deliveryFailure } } } }`;
const NOTIFICATIONS = `{ notifications(first: 20) { unreadCount edges { node { kind readAt exam { id } } } } }`;

interface ShareNode {
  id: string;
  recipientEmail: string;
  status: string;
  deliveryStatus: string | null;
  deliveryFailure: string | null;
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('an invitation that cannot be delivered shows on « Mes partages » and tells the physician (ADR 0102)', () => {
  let t: TestServer;
  let relay: FaultyRelay;
  let physician: { client: GqlClient; userId: string; email: string };
  let examId: string;
  let report: Document;

  const myShare = async (id: string): Promise<ShareNode> => {
    const data = await physician.client.mustQuery<{ myShares: { edges: Array<{ node: ShareNode }> } }>(MY_SHARES);
    return data.myShares.edges.map((e) => e.node).find((n) => n.id === id)!;
  };
  const share = async (email: string): Promise<string> =>
    (await physician.client.mustQuery<{ shareDocument: { id: string } }>(SHARE, { d: report.id, e: email, c: 'Pour avis' })).shareDocument.id;

  beforeAll(async () => {
    relay = await startFaultyRelay({ mode: 'refuse-rcpt' });
    t = await startTestServer({ SMTP_URL: relay.url, MAIL_MAX_ATTEMPTS: '2' }, { outbox: { pollMs: 50, backoffMs: 100 } });
    const f = new Factory(t.deps);
    physician = await t.login(Role.PHYSICIAN, { firstName: 'Claire', lastName: 'Martin' });
    const facility = await f.facility();
    const patient = await f.patient({ firstName: 'Hélène', lastName: 'Dupont-Moreau', records: [{ facility }] });
    const made = await f.exam({ patient, facility, access: [{ physicianId: physician.userId }], documents: [{ type: DocumentType.REPORT }] });
    examId = made.exam.id;
    report = made.documents[0]!;
  });
  afterAll(async () => {
    await t?.stop();
    await relay?.stop();
  });

  it('an address the relay refuses: PENDING while retried, then FAILED with the reason, and a SHARE_UNDELIVERED notification', async () => {
    const id = await share('inconnu@destinataire.example');
    await until(async () => (await myShare(id)).deliveryStatus === 'FAILED', 10_000, 'the final failure');
    const node = await myShare(id);
    expect(node).toMatchObject({ status: 'ACTIVE', deliveryStatus: 'FAILED', deliveryFailure: 'RECIPIENT_REFUSED' });
    expect(relay.attempts()).toBe(2);
    expect(relay.delivered()).toHaveLength(0);

    const { notifications } = await physician.client.mustQuery<{ notifications: { unreadCount: number; edges: Array<{ node: { kind: string; readAt: string | null; exam: { id: string } } }> } }>(NOTIFICATIONS);
    expect(notifications.edges.map((e) => e.node)).toEqual([{ kind: 'SHARE_UNDELIVERED', readAt: null, exam: { id: examId } }]);
    expect(notifications.unreadCount).toBe(1);
    // The token left with the failure: the outbox row no longer holds it (ADR 0061).
    const [row] = await sql<{ payload: Record<string, unknown> }>(t, `select payload from outbox_message where idempotency_key = ?`, [`share:${id}`]);
    expect(row!.payload).not.toHaveProperty('token');
  });

  it('a delivered invitation is SENT; one revoked before it left is CANCELLED and tells no one', async () => {
    await relay.setMode('accept');
    const sent = await share('confrere@hopital.example');
    await until(async () => (await myShare(sent)).deliveryStatus === 'SENT', 10_000, 'the delivery');
    expect((await myShare(sent)).deliveryFailure).toBeNull();

    await t.deps.outbox.stop();
    try {
      const revoked = await share('annule@hopital.example');
      expect((await myShare(revoked)).deliveryStatus).toBe('PENDING');
      await physician.client.mustQuery(REVOKE, { id: revoked });
      expect(await myShare(revoked)).toMatchObject({ status: 'REVOKED', deliveryStatus: 'CANCELLED', deliveryFailure: null });
    } finally {
      t.deps.outbox.start();
    }
    await t.deps.outbox.drainOnce();
    expect(relay.delivered().map((m) => m.to)).toEqual([['confrere@hopital.example']]);
    const kinds = await sql<{ kind: string }>(t, `select kind from notification where recipient_id = ?`, [physician.userId]);
    expect(kinds).toEqual([{ kind: 'SHARE_UNDELIVERED' }]);
  });
});
