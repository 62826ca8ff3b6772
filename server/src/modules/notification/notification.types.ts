import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Exam } from '../exam/exam.types.js';
import { PageInfo, Patient } from '../patient/patient.types.js';

@ObjectType({ description: 'A new exam made available for this physician (guide §4)' })
export class Notification {
  @Field(() => ID) id!: string;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date, { nullable: true }) readAt!: Date | null;

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
