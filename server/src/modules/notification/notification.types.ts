import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { NotificationKind } from './notification.entity.js';
import { Exam } from '../exam/exam.types.js';
import { PageInfo, Patient } from '../patient/patient.types.js';

registerEnumType(NotificationKind, {
  name: 'NotificationKind',
  description: 'EXAM_AVAILABLE: a new exam for this physician (guide §4); SHARE_OPENED: a share they made was opened; SHARE_UNDELIVERED: the invitation of a share they made could not be delivered',
});

@ObjectType({ description: 'A new exam made available for this physician (guide §4), the first opening of one of their shares, or an invitation of theirs that could not be delivered' })
export class Notification {
  @Field(() => ID) id!: string;
  @Field(() => NotificationKind) kind!: NotificationKind;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date, { nullable: true }) readAt!: Date | null;
  @Field(() => String, { description: "Its position: notificationAdded(after:) resumes after it, e.g. on a new socket once the last one dropped" })
  cursor!: string;

  examId!: string;
  patientId!: string;
}

@ObjectType()
export class NotificationEdge {
  @Field(() => String) cursor!: string;
  @Field(() => Notification) node!: Notification;
}

@ObjectType()
export class NotificationConnection {
  @Field(() => [NotificationEdge]) edges!: NotificationEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => Int, { description: 'Unread notifications in total (not only this page)' }) unreadCount!: number;
}

// Referenced by the field resolvers; imported here so the schema knows them.
export { Exam, Patient };
