import { onMailFailed } from '../../infra/mail/outbox.js';
import { PgPubSub } from '../../infra/pubsub/pg-pubsub.js';
import { NOTIFICATION_TOPIC, UNREAD_TOPIC, type NotificationEvent, type UnreadChangedEvent } from '../notification/notification.service.js';
import { SHARE_INVITATION_TEMPLATE } from './share.mail.js';

/** Where the invitation of a share stands (ADR 0102). */
export type ShareDeliveryStatus = 'PENDING' | 'SENT' | 'FAILED' | 'CANCELLED';

/** Why an invitation finally failed, as the physician is told it: the address, or anything else. */
export type ShareDeliveryFailure = 'RECIPIENT_REFUSED' | 'NOT_SENT';

/** The outbox marks a row cancelled (a revoked share) with this kind, never a failed send. */
export const CANCELLED_KIND = 'CANCELLED';

/** The outbox key of a share's invitation: its row is found again by the share id. */
export function invitationKey(shareId: string): string {
  return `share:${shareId}`;
}

/**
 * Columns for a query over `share s`: the state of its invitation, read from its outbox row
 * (one unique-index lookup per share), so the page never disagrees with what the outbox did.
 */
export const DELIVERY_COLUMNS = `(select case when o.sent_at is not null then 'SENT'
          when o.failed_at is not null and o.failure_kind = '${CANCELLED_KIND}' then 'CANCELLED'
          when o.failed_at is not null then 'FAILED' else 'PENDING' end
     from outbox_message o where o.idempotency_key = 'share:' || s.id::text) as "deliveryStatus",
  (select case when o.failed_at is null or o.sent_at is not null or o.failure_kind = '${CANCELLED_KIND}' then null
          when o.failure_kind = 'RECIPIENT_REFUSED' then 'RECIPIENT_REFUSED' else 'NOT_SENT' end
     from outbox_message o where o.idempotency_key = 'share:' || s.id::text) as "deliveryFailure"`;

/**
 * An invitation that finally failed tells the physician who shared, in the portal: a
 * SHARE_UNDELIVERED notification about the exam (one per physician and exam, brought back unread
 * by a later failure), written in the transaction that marks the mail failed. A revoked share's
 * mail is cancelled, not failed, and tells no one. No e-mail: the relay may be what is failing,
 * and the notification names the patient, which a mail must not.
 */
onMailFailed(SHARE_INVITATION_TEMPLATE, async (tx, mail, { pubsub }) => {
  const shareId = mail.payload.shareId;
  if (typeof shareId !== 'string') return;
  const [share] = await tx.execute<{ creatorId: string; examId: string }[]>(
    `select s.creator_id as "creatorId", d.exam_id as "examId" from share s join document d on d.id = s.document_id
      where s.id = ? and s.revoked_at is null`,
    [shareId],
  );
  if (!share) return;
  const [row] = await tx.execute<{ id: string }[]>(
    `insert into notification (id, recipient_id, exam_id, kind, created_at)
     values (gen_random_uuid(), ?, ?, 'SHARE_UNDELIVERED', now())
     on conflict (recipient_id, exam_id, kind) do update set created_at = now(), read_at = null
     returning id`,
    [share.creatorId, share.examId],
  );
  if (!pubsub) return;
  if (row) {
    await pubsub.publishInTransaction(tx, PgPubSub.topicFor(NOTIFICATION_TOPIC, share.creatorId), {
      notificationId: row.id,
      recipientId: share.creatorId,
    } satisfies NotificationEvent);
  }
  await pubsub.publishInTransaction(tx, PgPubSub.topicFor(UNREAD_TOPIC, share.creatorId), { recipientId: share.creatorId } satisfies UnreadChangedEvent);
});
