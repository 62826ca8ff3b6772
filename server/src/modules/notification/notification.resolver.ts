import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { notFound } from '../../common/errors.js';
import type { Context } from '../../graphql/context.js';
import { PgPubSub } from '../../infra/pubsub/pg-pubsub.js';
import { requirePhysician } from '../exam/exam.service.js';
import { visibleExamById } from '../exam/exam.loaders.js';
import { Exam, toExam } from '../exam/exam.types.js';
import { visiblePatientById } from '../patient/patient.loaders.js';
import { Patient, toPatient } from '../patient/patient.types.js';
import * as notifications from './notification.service.js';
import { Notification, NotificationConnection } from './notification.types.js';


function toNotification(row: notifications.NotificationRow): Notification {
  return { id: row.id, kind: row.kind, createdAt: row.createdAt, readAt: row.readAt, examId: row.examId, patientId: row.patientId };
}

/**
 * Subscriptions share one context for the life of the operation: each event starts from a
 * clean identity map and fresh DataLoaders, so it never serves what an earlier event cached.
 */
function freshForEvent(ctx: Context): void {
  ctx.em.clear();
  ctx.memo.clear();
}

@Resolver(() => Notification)
export class NotificationResolver {
  @Query(() => NotificationConnection, { description: 'Newest first' })
  async notifications(
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
    @Arg('unreadOnly', () => Boolean, { nullable: true }) unreadOnly?: boolean | null,
  ): Promise<NotificationConnection> {
    const me = requirePhysician(ctx.viewer);
    const [page, unreadCount] = await Promise.all([
      notifications.listNotifications(ctx.em, me.id, { first, after, unreadOnly }),
      notifications.unreadCount(ctx.em.fork(), me.id),
    ]);
    const last = page.rows.at(-1);
    return {
      edges: page.rows.map((r) => ({ cursor: notifications.notificationCursor(r), node: toNotification(r) })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: last ? notifications.notificationCursor(last) : null },
      unreadCount,
    };
  }

  @Query(() => Int)
  unreadNotificationCount(@Ctx() ctx: Context): Promise<number> {
    return notifications.unreadCount(ctx.em, requirePhysician(ctx.viewer).id);
  }

  @Mutation(() => Notification, { description: 'NOT_FOUND for an id that is not one of yours' })
  async markNotificationRead(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<Notification> {
    const row = await notifications.markRead(ctx.em, ctx.deps, requirePhysician(ctx.viewer).id, id);
    if (!row) throw notFound('Notification');
    return toNotification(row);
  }

  @Mutation(() => Int, { description: 'How many were marked read' })
  markAllNotificationsRead(@Ctx() ctx: Context): Promise<number> {
    return notifications.markAllRead(ctx.em, ctx.deps, requirePhysician(ctx.viewer).id);
  }

  @FieldResolver(() => Exam)
  async exam(@Root() n: Notification, @Ctx() ctx: Context): Promise<Exam> {
    const row = await visibleExamById(ctx).load(n.examId);
    if (!row) throw notFound('Exam');
    return toExam(row);
  }

  @FieldResolver(() => Patient)
  async patient(@Root() n: Notification, @Ctx() ctx: Context): Promise<Patient> {
    const row = await visiblePatientById(ctx).load(n.patientId);
    if (!row) throw notFound('Patient');
    return toPatient(row);
  }

  @Subscription(() => Notification, {
    description: "This physician's new notifications, live (events cross replicas)",
    subscribe: ({ context }) => {
      const me = requirePhysician((context as Context).viewer);
      return (context as Context).deps.pubsub.subscribe(PgPubSub.topicFor(notifications.NOTIFICATION_TOPIC, me.id));
    },
  })
  async notificationAdded(@Root() event: notifications.NotificationEvent, @Ctx() ctx: Context): Promise<Notification> {
    const me = requirePhysician(ctx.viewer);
    freshForEvent(ctx);
    // The topic is per recipient already; checked again so a routing mistake cannot leak.
    const row = event.recipientId === me.id ? await notifications.findNotification(ctx.em, me.id, event.notificationId) : null;
    if (!row) throw notFound('Notification');
    return toNotification(row);
  }

  @Subscription(() => Int, {
    name: 'unreadNotificationCount',
    description: 'The unread count, pushed whenever it changes',
    subscribe: ({ context }) => {
      const me = requirePhysician((context as Context).viewer);
      return (context as Context).deps.pubsub.subscribe(PgPubSub.topicFor(notifications.UNREAD_TOPIC, me.id));
    },
  })
  async unreadNotificationCountChanged(@Root() _event: notifications.UnreadChangedEvent, @Ctx() ctx: Context): Promise<number> {
    const me = requirePhysician(ctx.viewer);
    freshForEvent(ctx);
    return notifications.unreadCount(ctx.em, me.id);
  }
}
