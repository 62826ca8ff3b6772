import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppDeps } from '../../app-deps.js';
import { enqueueMail } from '../../infra/mail/outbox.js';
import { PgPubSub } from '../../infra/pubsub/pg-pubsub.js';
import type { User } from '../auth/user.entity.js';
import './notification.mail.js';

export const NOTIFICATION_TOPIC = 'notification';

/** What crosses replicas: ids only; each replica loads what its subscribers may see. */
export interface NotificationEvent {
  notificationId: string;
  recipientId: string;
}

/**
 * In the publishing transaction: one notification per recipient and exam (never twice, even
 * when the exam is published again), its e-mail queued in the outbox, and a live event that
 * NOTIFY delivers to every replica only if the transaction commits. Returns how many were new.
 */
export async function notifyExamAvailable(tx: EntityManager, deps: AppDeps, examId: string, recipients: User[]): Promise<number> {
  let created = 0;
  for (const user of recipients) {
    const rows = await tx.execute<{ id: string }[]>(
      `insert into notification (id, recipient_id, exam_id, kind, created_at)
       values (gen_random_uuid(), ?, ?, 'EXAM_AVAILABLE', now())
       on conflict (recipient_id, exam_id, kind) do nothing returning id`,
      [user.id, examId],
    );
    const id = rows[0]?.id;
    if (!id) continue;
    created++;
    if (user.emailNotifications) {
      await enqueueMail(tx, {
        to: user.email,
        template: 'notification.exam-available',
        payload: { notificationId: id },
        idempotencyKey: `notification:${id}`,
        locale: user.locale,
      });
    }
    await deps.pubsub.publishInTransaction(tx, PgPubSub.topicFor(NOTIFICATION_TOPIC, user.id), {
      notificationId: id,
      recipientId: user.id,
    } satisfies NotificationEvent);
  }
  return created;
}
