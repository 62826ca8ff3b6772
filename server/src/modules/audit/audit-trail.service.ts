import type { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import { badInput } from '../../common/errors.js';
import { decodeCursor, encodeCursor, isIsoTimestamp } from '../../common/cursor.js';
import { isUuid } from '../../common/ids.js';
import type { Viewer } from '../../graphql/context.js';
import { requireAdmin } from '../auth/auth.service.js';
import { User } from '../auth/user.entity.js';
import { Facility } from '../facility/facility.entity.js';
import { AuditEvent } from './audit-event.entity.js';

export const MAX_AUDIT_PAGE = 200;


function encode(e: AuditEvent): string {
  return encodeCursor(e.at.toISOString(), e.id);
}

/**
 * Access traces for one patient or one user (or all), newest first. Timestamps are stored with
 * millisecond precision (JavaScript dates), so the cursor's date compares exactly.
 */
export async function listAuditEvents(
  em: EntityManager,
  viewer: Viewer,
  args: { patientId?: string | null; userId?: string | null; first: number; after?: string | null },
): Promise<{ events: AuditEvent[]; hasNextPage: boolean; cursorOf: (e: AuditEvent) => string }> {
  requireAdmin(viewer);
  if (!Number.isInteger(args.first) || args.first < 1 || args.first > MAX_AUDIT_PAGE) throw badInput(`first must be between 1 and ${MAX_AUDIT_PAGE}`, 'first');
  if (args.patientId != null && !isUuid(args.patientId)) throw badInput('patientId must be an id', 'patientId');
  if (args.userId != null && !isUuid(args.userId)) throw badInput('userId must be an id', 'userId');
  const where: FilterQuery<AuditEvent>[] = [];
  if (args.patientId) where.push({ patientId: args.patientId });
  // A user's trail: what they did, and what was done to their account.
  if (args.userId) where.push({ $or: [{ actorUserId: args.userId }, { targetUserId: args.userId }] });
  if (args.after) {
    const c = decodeCursor(args.after, isIsoTimestamp);
    const at = new Date(c.at);
    where.push({ $or: [{ at: { $lt: at } }, { at, id: { $lt: c.id } }] });
  }
  const rows = await em.find(AuditEvent, where.length ? { $and: where } : {}, { orderBy: { at: 'desc', id: 'desc' }, limit: args.first + 1 });
  return { events: rows.slice(0, args.first), hasNextPage: rows.length > args.first, cursorOf: encode };
}

/**
 * The e-mails of a page's acting users and the names of its facilities, one query each
 * (listAuditEvents has checked the caller: administrators read accounts and facilities anyway).
 */
export async function namesOf(em: EntityManager, events: AuditEvent[]): Promise<{ emails: Map<string, string>; facilities: Map<string, string> }> {
  const distinct = (ids: Array<string | null | undefined>) => [...new Set(ids.filter((id): id is string => !!id))];
  const userIds = distinct(events.flatMap((e) => [e.actorUserId, e.targetUserId]));
  const facilityIds = distinct(events.map((e) => e.facilityId));
  const users = userIds.length ? await em.find(User, { id: { $in: userIds } }, { fields: ['id', 'email'] }) : [];
  const facilities = facilityIds.length ? await em.find(Facility, { id: { $in: facilityIds } }, { fields: ['id', 'name'] }) : [];
  return { emails: new Map(users.map((u) => [u.id, u.email])), facilities: new Map(facilities.map((f) => [f.id, f.name])) };
}
