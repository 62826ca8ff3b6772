import { Field, ID, ObjectType } from 'type-graphql';
import { PageInfo } from '../patient/patient.types.js';
import type { AuditEvent as AuditEventEntity } from './audit-event.entity.js';

@ObjectType({ description: 'An access trace: ids only, never names or free text' })
export class AuditEvent {
  @Field(() => ID) id!: string;
  @Field(() => String, { description: 'e.g. RECORD_OPENED, REPORT_OPENED, IMAGING_OPENED, LOGIN_SUCCEEDED' }) action!: string;
  @Field(() => String, { description: 'USER, FACILITY, SHARE, SYSTEM or ANONYMOUS' }) actorKind!: string;
  @Field(() => ID, { nullable: true }) actorUserId!: string | null;
  @Field(() => String, { nullable: true, description: 'The acting user’s e-mail (administrators read accounts anyway)' }) actorEmail!: string | null;
  @Field(() => ID, { nullable: true }) facilityId!: string | null;
  @Field(() => String, { nullable: true, description: 'The facility’s name (administrators manage facilities anyway)' }) facilityName!: string | null;
  @Field(() => ID, { nullable: true }) patientId!: string | null;
  @Field(() => ID, { nullable: true }) examId!: string | null;
  @Field(() => ID, { nullable: true }) documentId!: string | null;
  @Field(() => ID, { nullable: true }) shareId!: string | null;
  @Field(() => ID, { nullable: true }) targetUserId!: string | null;
  @Field(() => String, { nullable: true, description: 'The e-mail of the account acted upon (a failed login, a lock, an administrator’s change)' }) targetEmail!: string | null;
  @Field(() => String, { nullable: true }) outcome!: string | null;
  @Field(() => String, { nullable: true }) ip!: string | null;
  @Field(() => Date) at!: Date;
}

@ObjectType()
export class AuditEventEdge {
  @Field(() => String) cursor!: string;
  @Field(() => AuditEvent) node!: AuditEvent;
}

@ObjectType()
export class AuditEventConnection {
  @Field(() => [AuditEventEdge]) edges!: AuditEventEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

/** `names`: the page's user e-mails and facility names (audit-trail.service.ts namesOf). */
export function toAuditEvent(e: AuditEventEntity, names: { emails: ReadonlyMap<string, string>; facilities: ReadonlyMap<string, string> }): AuditEvent {
  return {
    id: e.id,
    action: e.action,
    actorKind: e.actorKind,
    actorUserId: e.actorUserId ?? null,
    actorEmail: e.actorUserId ? names.emails.get(e.actorUserId) ?? null : null,
    facilityId: e.facilityId ?? null,
    facilityName: e.facilityId ? names.facilities.get(e.facilityId) ?? null : null,
    patientId: e.patientId ?? null,
    examId: e.examId ?? null,
    documentId: e.documentId ?? null,
    shareId: e.shareId ?? null,
    targetUserId: e.targetUserId ?? null,
    targetEmail: e.targetUserId ? names.emails.get(e.targetUserId) ?? null : null,
    outcome: e.outcome ?? null,
    ip: e.ip ?? null,
    at: e.at,
  };
}
