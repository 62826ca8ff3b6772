import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../graphql/context.js';
import { AuditEvent } from './audit-event.entity.js';

export type AuditAction =
  | 'LOGIN_SUCCEEDED' | 'LOGIN_FAILED' | 'ACCOUNT_LOCKED' | 'LOGOUT'
  | 'PASSWORD_RESET_REQUESTED' | 'PASSWORD_RESET' | 'ACCOUNT_ACTIVATED'
  | 'ACCOUNT_REQUESTED' | 'ACCOUNT_REQUEST_APPROVED' | 'ACCOUNT_REQUEST_REJECTED' | 'USER_CREATED'
  | 'EXAM_PUBLISHED' | 'RECORD_OPENED' | 'REPORT_OPENED' | 'IMAGING_OPENED'
  | 'SHARE_CREATED' | 'SHARE_REVOKED' | 'SHARE_OPENED' | 'SHARE_DENIED'
  | 'FACILITY_CREATED' | 'API_KEY_CREATED' | 'API_KEY_REVOKED'
  | 'ACCOUNT_UNLOCKED' | 'ACCOUNT_DISABLED' | 'ACCOUNT_ENABLED'
  | 'PASSWORD_CHANGED' | 'SESSION_ENDED' | 'SECOND_FACTOR_ADDED' | 'SECOND_FACTOR_REMOVED' | 'SECOND_FACTOR_RESET'
  | 'RECOVERY_CODES_GENERATED';

export type AuditFields = Partial<Pick<AuditEvent,
  'actorUserId' | 'facilityId' | 'patientId' | 'examId' | 'documentId' | 'shareId' | 'targetUserId' | 'outcome' | 'ip' | 'userAgent'>> & {
  actorKind?: string;
};

/** Appends an access trace in the caller's unit of work (flushed with it). */
export function audit(em: EntityManager, action: AuditAction, fields: AuditFields): AuditEvent {
  const event = em.create(AuditEvent, { action, actorKind: fields.actorKind ?? 'SYSTEM', ...fields });
  em.persist(event);
  return event;
}

/**
 * Appends an access trace at once, as one statement of its own: for a read that is traced
 * (opening a record), where no other change shares its unit of work.
 */
export async function auditNow(em: EntityManager, action: AuditAction, fields: AuditFields): Promise<void> {
  await em.insert(em.create(AuditEvent, { action, actorKind: fields.actorKind ?? 'SYSTEM', ...fields }, { persist: false }));
}

/** The actor and origin of the current request, for audit(). */
export function actorOf(ctx: Context): AuditFields {
  const v = ctx.viewer;
  const base = { ip: ctx.request.ip, userAgent: ctx.request.userAgent };
  switch (v.kind) {
    case 'user':
      return { ...base, actorKind: 'USER', actorUserId: v.user.id };
    case 'facility':
      return { ...base, actorKind: 'FACILITY', facilityId: v.facility.id };
    case 'share':
      return { ...base, actorKind: 'SHARE', shareId: v.shareId };
    case 'anonymous':
      return { ...base, actorKind: 'ANONYMOUS' };
  }
}
