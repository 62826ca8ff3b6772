import type { EntityManager } from '@mikro-orm/postgresql';
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { notFound } from '../../common/errors.js';
import type { Context } from '../../graphql/context.js';
import { visibleExamById } from '../exam/exam.loaders.js';
import { requirePhysician } from '../exam/exam.service.js';
import { Exam, toExam } from '../exam/exam.types.js';
import { visiblePatientById } from '../patient/patient.loaders.js';
import { Patient, toPatient } from '../patient/patient.types.js';
import * as notifications from './notification.service.js';
import { Notification, NotificationConnection } from './notification.types.js';


function toNotification(row: notifications.NotificationRow): Notification {
  return { id: row.id, kind: row.kind, createdAt: row.createdAt, readAt: row.readAt, cursor: notifications.notificationCursor(row), examId: row.examId, patientId: row.patientId };
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
    const [page, unreadCount] = await Promise.all([
      notifications.listNotifications(ctx.em, ctx.viewer, { first, after, unreadOnly }),
      notifications.unreadCount(ctx.em.fork(), ctx.viewer),
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
    return notifications.unreadCount(ctx.em, ctx.viewer);
  }

  @Mutation(() => Notification, { description: 'NOT_FOUND for an id that is not one of yours' })
  async markNotificationRead(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<Notification> {
    const row = await notifications.markRead(ctx.em, ctx.deps, ctx.viewer, id);
    if (!row) throw notFound('Notification');
    return toNotification(row);
  }

  @Mutation(() => Int, { description: 'How many were marked read' })
  markAllNotificationsRead(@Ctx() ctx: Context): Promise<number> {
    return notifications.markAllRead(ctx.em, ctx.deps, ctx.viewer);
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
    description:
      "This physician's new notifications, live (events cross replicas). With `after` (a notification's cursor, the last one received), first those that followed it, oldest first (at most 100, and some from the minute before it: drop by id those already held), then the live ones",
    subscribe: ({ context, args }) => {
      const { deps, viewer } = context as Context;
      const topic = notifications.liveTopic(viewer, notifications.NOTIFICATION_TOPIC);
      const after = typeof args.after === 'string' ? notifications.replayPosition(args.after) : undefined;
      const em = () => deps.orm.em.fork() as EntityManager;
      return deps.pubsub.subscribe(topic, undefined, {
        recover: (gap) => notifications.missedNotificationEvents(em(), viewer, gap.since),
        replay: after && (() => notifications.notificationEventsAfter(em(), viewer, after)),
        key: (event) => (event as notifications.NotificationEvent).notificationId,
      });
    },
  })
  async notificationAdded(
    @Root() event: notifications.NotificationEvent,
    @Ctx() ctx: Context,
    // Read by `subscribe` above; declared here so that the schema has it.
    @Arg('after', () => String, { nullable: true }) _after?: string | null,
  ): Promise<Notification> {
    freshForEvent(ctx);
    const row = await notifications.notificationOfEvent(ctx.em, ctx.viewer, event);
    if (!row) throw notFound('Notification');
    return toNotification(row);
  }

  @Subscription(() => Int, {
    name: 'unreadNotificationCount',
    description: 'The unread count, pushed whenever it changes',
    subscribe: ({ context }) => {
      const { deps, viewer } = context as Context;
      const changed: notifications.UnreadChangedEvent = { recipientId: requirePhysician(viewer).id };
      // Whatever changed during a gap, one fresh count says it.
      return deps.pubsub.subscribe(notifications.liveTopic(viewer, notifications.UNREAD_TOPIC), undefined, { recover: async () => [changed] });
    },
  })
  async unreadNotificationCountChanged(@Root() _event: notifications.UnreadChangedEvent, @Ctx() ctx: Context): Promise<number> {
    freshForEvent(ctx);
    return notifications.unreadCount(ctx.em, ctx.viewer);
  }
}
