import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppDeps } from '../../app-deps.js';
import { badInput } from '../../common/errors.js';
import { decodeCursor, encodeCursor as cursorOf, isIsoTimestamp, type CursorPosition } from '../../common/cursor.js';
import { isUuid } from '../../common/ids.js';
import { enqueueMail } from '../../infra/mail/outbox.js';
import { PgPubSub } from '../../infra/pubsub/pg-pubsub.js';
import type { User } from '../auth/user.entity.js';
import { NotificationKind } from './notification.entity.js';
import type { Viewer } from '../../graphql/context.js';
import { asDate, requirePhysician } from '../exam/exam.service.js';
import './notification.mail.js';

export const NOTIFICATION_TOPIC = 'notification';
export const UNREAD_TOPIC = 'unread';

/** What crosses replicas: ids only; each replica loads what its subscribers may see. */
export interface NotificationEvent {
  notificationId: string;
  recipientId: string;
}

/** Tells the recipient's open tabs (any replica) to refresh their unread count. */
export interface UnreadChangedEvent {
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
    await deps.pubsub.publishInTransaction(tx, PgPubSub.topicFor(UNREAD_TOPIC, user.id), { recipientId: user.id } satisfies UnreadChangedEvent);
  }
  return created;
}

export interface NotificationRow {
  id: string;
  kind: NotificationKind;
  createdAt: Date;
  readAt: Date | null;
  examId: string;
  patientId: string;
}

/**
 * A physician's notifications are those addressed to them about exams they may still see (a
 * right withdrawn by a re-publish takes the notification with it): new exams, and the first
 * opening of a share they made (SHARE_OPENED, written by the sharing module).
 */
const VISIBLE = `notification n
  join exam e on e.id = n.exam_id and e.status = 'PUBLISHED'
  where n.recipient_id = ?
    and exists (select 1 from exam_access a where a.exam_id = n.exam_id and a.physician_id = n.recipient_id)`;

function encodeCursor(row: NotificationRow): string {
  return cursorOf(row.createdAt.toISOString(), row.id);
}

const COLUMNS = `n.id, n.kind, n.created_at as "createdAt", n.read_at as "readAt", n.exam_id as "examId", e.patient_id as "patientId"`;

type RawRow = Omit<NotificationRow, 'createdAt' | 'readAt'> & { createdAt: Date | string; readAt: Date | string | null };

function toRow(raw: RawRow): NotificationRow {
  return { ...raw, createdAt: asDate(raw.createdAt), readAt: raw.readAt === null ? null : asDate(raw.readAt) };
}

/*
 * Every reader below takes the viewer: notifications are a physician's own, and only a
 * physician has any (anonymous: UNAUTHENTICATED, other roles: FORBIDDEN).
 */

export async function listNotifications(
  em: EntityManager,
  viewer: Viewer,
  opts: { first: number; after?: string | null; unreadOnly?: boolean | null },
): Promise<{ rows: NotificationRow[]; hasNextPage: boolean }> {
  const recipientId = requirePhysician(viewer).id;
  if (!Number.isInteger(opts.first) || opts.first < 1 || opts.first > 100) throw badInput('first must be between 1 and 100', 'first');
  const params: unknown[] = [recipientId];
  let sql = `select ${COLUMNS} from ${VISIBLE}`;
  if (opts.unreadOnly) sql += ' and n.read_at is null';
  if (opts.after) {
    const c = decodeCursor(opts.after, isIsoTimestamp);
    sql += ' and (n.created_at, n.id) < (?::timestamptz, ?::uuid)';
    params.push(c.at, c.id);
  }
  sql += ' order by n.created_at desc, n.id desc limit ?';
  params.push(opts.first + 1);
  const rows = await em.execute<RawRow[]>(sql, params);
  return { rows: rows.slice(0, opts.first).map(toRow), hasNextPage: rows.length > opts.first };
}

export { encodeCursor as notificationCursor };

export async function unreadCount(em: EntityManager, viewer: Viewer): Promise<number> {
  const recipientId = requirePhysician(viewer).id;
  const rows = await em.execute<{ n: number }[]>(`select count(*)::int as n from ${VISIBLE} and n.read_at is null`, [recipientId]);
  return rows[0]?.n ?? 0;
}

async function findNotification(em: EntityManager, recipientId: string, id: string): Promise<NotificationRow | null> {
  if (!isUuid(id)) return null;
  const rows = await em.execute<RawRow[]>(`select ${COLUMNS} from ${VISIBLE} and n.id = ?`, [recipientId, id]);
  return rows[0] ? toRow(rows[0]) : null;
}

/** Marks one of the viewer's notifications read; another's is "not found", like a wrong id. */
export async function markRead(em: EntityManager, deps: AppDeps, viewer: Viewer, id: string): Promise<NotificationRow | null> {
  const recipientId = requirePhysician(viewer).id;
  const found = await findNotification(em, recipientId, id);
  if (!found) return null;
  if (!found.readAt) {
    await em.transactional(async (tx) => {
      await tx.execute(`update notification set read_at = now() where id = ? and recipient_id = ? and read_at is null`, [id, recipientId]);
      await deps.pubsub.publishInTransaction(tx, PgPubSub.topicFor(UNREAD_TOPIC, recipientId), { recipientId } satisfies UnreadChangedEvent);
    });
  }
  return findNotification(em, recipientId, id);
}

export async function markAllRead(em: EntityManager, deps: AppDeps, viewer: Viewer): Promise<number> {
  const recipientId = requirePhysician(viewer).id;
  return em.transactional(async (tx) => {
    const rows = await tx.execute<{ id: string }[]>(
      `update notification set read_at = now() where id in (select n.id from ${VISIBLE} and n.read_at is null) returning id`,
      [recipientId],
    );
    if (rows.length) await deps.pubsub.publishInTransaction(tx, PgPubSub.topicFor(UNREAD_TOPIC, recipientId), { recipientId } satisfies UnreadChangedEvent);
    return rows.length;
  });
}

/** The live topic (NOTIFICATION_TOPIC or UNREAD_TOPIC) of the viewer's own notifications. */
export function liveTopic(viewer: Viewer, topic: typeof NOTIFICATION_TOPIC | typeof UNREAD_TOPIC): string {
  return PgPubSub.topicFor(topic, requirePhysician(viewer).id);
}

/**
 * A notification's time is its transaction's start, which precedes its commit (and its event) by
 * as long as the transaction ran: a gap's window opens this much earlier.
 */
const GAP_MARGIN_SECONDS = 60;

/**
 * The viewer's notifications created since `since`, as the events a live subscription missed
 * while events could not arrive (ADR 0092). The window's margin may find some the subscription
 * already delivered: it drops those by id.
 */
export async function missedNotificationEvents(em: EntityManager, viewer: Viewer, since: Date): Promise<NotificationEvent[]> {
  const me = requirePhysician(viewer);
  const seconds = Math.max(0, (Date.now() - since.getTime()) / 1000) + GAP_MARGIN_SECONDS;
  const rows = await em.execute<{ id: string }[]>(
    `select n.id from ${VISIBLE} and n.created_at >= now() - ? * interval '1 second' order by n.created_at, n.id limit 100`,
    [me.id, seconds],
  );
  return rows.map((r) => ({ notificationId: r.id, recipientId: me.id }));
}

/** How many notifications a resumed subscription is given at most, oldest first. */
export const REPLAY_LIMIT = 100;

/** The position an `after` cursor of notificationAdded names: BAD_USER_INPUT for one that is not ours. */
export function replayPosition(after: string): CursorPosition {
  return decodeCursor(after, isIsoTimestamp);
}

/**
 * The viewer's notifications that followed `after` (the cursor of the last one a client
 * received), as events, for a subscription that resumes on another socket, maybe another
 * replica (ADR 0116). A notification's time is its transaction's start, so one committed late
 * can be older than the cursor's: the window opens GAP_MARGIN_SECONDS before it, and the client
 * drops by id what it already holds. Only the viewer's own notifications: a cursor is a time and
 * an id, whoever made it.
 */
export async function notificationEventsAfter(em: EntityManager, viewer: Viewer, after: CursorPosition): Promise<NotificationEvent[]> {
  const me = requirePhysician(viewer);
  const rows = await em.execute<{ id: string }[]>(
    `select n.id from ${VISIBLE} and n.created_at >= ?::timestamptz - ? * interval '1 second' and n.id <> ?::uuid
     order by n.created_at, n.id limit ?`,
    [me.id, after.at, GAP_MARGIN_SECONDS, after.id, REPLAY_LIMIT],
  );
  return rows.map((r) => ({ notificationId: r.id, recipientId: me.id }));
}

/**
 * The notification a live event announces, if it is the viewer's: the topic is per recipient
 * already; checked again so that a routing mistake cannot leak another physician's.
 */
export async function notificationOfEvent(em: EntityManager, viewer: Viewer, event: NotificationEvent): Promise<NotificationRow | null> {
  const me = requirePhysician(viewer);
  return event.recipientId === me.id ? findNotification(em, me.id, event.notificationId) : null;
}
