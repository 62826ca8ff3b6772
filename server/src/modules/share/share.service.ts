import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppDeps } from '../../app-deps.js';
import { badInput, notFound } from '../../common/errors.js';
import { decodeCursor, encodeCursor, isIsoTimestamp } from '../../common/cursor.js';
import { isUuid } from '../../common/ids.js';
import { consumeRateLimit } from '../../common/rate-limit.js';
import { hashToken, newToken } from '../../common/tokens.js';
import type { Viewer } from '../../graphql/context.js';
import { enqueueMail } from '../../infra/mail/outbox.js';
import { audit, type AuditFields } from '../audit/audit.service.js';
import { findReadableDocument } from '../exam/document.service.js';
import { asDate, requirePhysician, uuidArray } from '../exam/exam.service.js';
import { DocumentType } from '../exam/exam.entity.js';
import { CANCELLED_KIND, DELIVERY_COLUMNS, invitationKey, type ShareDeliveryFailure, type ShareDeliveryStatus } from './share-delivery.js';
import { SHARE_INVITATION_TEMPLATE, type ShareInvitationPayload } from './share.mail.js';

export const MAX_COMMENT_LENGTH = 1000;
const MAX_EMAIL_LENGTH = 254;
/** Shares a physician may create per hour (times RATE_LIMIT_SCALE): generous for care, tight for a script. */
const SHARES_PER_HOUR = 30;

export type ShareStatus = 'ACTIVE' | 'EXPIRED' | 'REVOKED';

/** A share as its creator sees it in « Mes partages ». */
export interface ShareRow {
  id: string;
  documentId: string;
  documentType: DocumentType;
  documentTitle: string;
  documentDate: Date;
  examId: string;
  studyInstanceUid: string | null;
  sopInstanceUid: string | null;
  recipientEmail: string;
  comment: string | null;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  openCount: number;
  firstOpenedAt: Date | null;
  lastOpenedAt: Date | null;
  /** Null once the creator may no longer see the shared exam. */
  patientDisplayName: string | null;
  /** Null only if the invitation's outbox row no longer exists. */
  deliveryStatus: ShareDeliveryStatus | null;
  deliveryFailure: ShareDeliveryFailure | null;
}

export interface ShareAccessRow {
  id: string;
  shareId: string;
  at: Date;
  outcome: string;
}

export function statusOf(share: Pick<ShareRow, 'revokedAt' | 'expiresAt'>, now = new Date()): ShareStatus {
  if (share.revokedAt) return 'REVOKED';
  return share.expiresAt.getTime() <= now.getTime() ? 'EXPIRED' : 'ACTIVE';
}

/**
 * Whose exam was shared, as the recipient sees it (the exam's centre's newest record, the patient
 * row when that centre has none), and only while the creator may still see that exam: a share
 * outlives its creator's access, the patient's name must not.
 */
const PATIENT_NAME_SQL = `(select x.first_name || ' ' || x.last_name from exam e
    cross join lateral (
      select 0 as fallback, r.received_at as at, r.id, r.first_name, r.last_name
        from administrative_record r where r.patient_id = e.patient_id and r.facility_id = e.facility_id
      union all
      select 1, null, p.id, p.first_name, p.last_name from patient p where p.id = e.patient_id
    ) x
   where e.id = d.exam_id and exists (select 1 from exam_access a where a.exam_id = e.id and a.physician_id = s.creator_id)
   order by x.fallback, x.at desc, x.id limit 1)`;

const SHARE_COLUMNS = `s.id, s.document_id as "documentId", d.type as "documentType", d.title as "documentTitle", d.date as "documentDate",
  d.exam_id as "examId", d.study_instance_uid as "studyInstanceUid", d.sop_instance_uid as "sopInstanceUid",
  s.recipient_email as "recipientEmail", s.comment, s.created_at as "createdAt", s.expires_at as "expiresAt",
  s.revoked_at as "revokedAt", s.open_count as "openCount", s.first_opened_at as "firstOpenedAt", s.last_opened_at as "lastOpenedAt",
  ${DELIVERY_COLUMNS}, ${PATIENT_NAME_SQL} as "patientDisplayName"`;

function mapShare(r: ShareRow): ShareRow {
  const opt = (v: Date | string | null) => (v === null ? null : asDate(v));
  return {
    ...r,
    documentDate: asDate(r.documentDate),
    createdAt: asDate(r.createdAt),
    expiresAt: asDate(r.expiresAt),
    revokedAt: opt(r.revokedAt),
    firstOpenedAt: opt(r.firstOpenedAt),
    lastOpenedAt: opt(r.lastOpenedAt),
  };
}

/**
 * A deliverable address, told apart from typos with a clear error: one @, a dotted domain, no
 * spaces or characters a mail header could be abused with.
 */
export function parseRecipientEmail(input: string): string {
  const email = input.trim();
  if (email.length === 0) throw badInput('email is required', 'email');
  if (email.length > MAX_EMAIL_LENGTH || !/^[^\s@<>()[\]\\,;:"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/.test(email)) {
    throw badInput('email is not a valid e-mail address', 'email');
  }
  return email;
}

export function parseComment(input: string | null | undefined): string | null {
  const comment = input?.trim() ?? '';
  if (comment.length > MAX_COMMENT_LENGTH) throw badInput(`comment must be at most ${MAX_COMMENT_LENGTH} characters`, 'comment');
  return comment || null;
}

/**
 * Shares a document the physician may see with someone without an account: a 256-bit token
 * (only its SHA-256 stored), valid SHARE_TTL_HOURS, mailed through the outbox in the same
 * transaction. A document the physician may not see is "not found", exactly like a random id.
 */
export async function shareDocument(
  em: EntityManager,
  deps: AppDeps,
  viewer: Viewer,
  input: { documentId: string; email: string; comment?: string | null },
  actor: AuditFields,
): Promise<ShareRow> {
  const physician = requirePhysician(viewer);
  await consumeRateLimit(em, deps.config, `share-create:${physician.id}`, SHARES_PER_HOUR, 3600);
  const email = parseRecipientEmail(input.email);
  const comment = parseComment(input.comment);
  const doc = await findReadableDocument(em, viewer, input.documentId);
  if (!doc) throw notFound('Document');

  const token = newToken();
  const expiresAt = new Date(Date.now() + deps.config.shareTtlHours * 3_600_000);
  const shareId = await em.transactional(async (tx) => {
    const [row] = await tx.execute<{ id: string }[]>(
      `insert into share (id, document_id, creator_id, recipient_email, comment, token_hash, created_at, expires_at, open_count)
       values (gen_random_uuid(), ?, ?, ?, ?, ?, now(), ?, 0) returning id`,
      [doc.id, physician.id, email, comment, hashToken(token), expiresAt],
    );
    const id = row!.id;
    audit(tx, 'SHARE_CREATED', { ...actor, patientId: doc.patientId, examId: doc.examId, documentId: doc.id, shareId: id, outcome: 'SUCCESS' });
    await enqueueMail(tx, {
      to: email,
      template: SHARE_INVITATION_TEMPLATE,
      payload: { shareId: id, token, senderName: `Dr ${physician.firstName} ${physician.lastName}`, comment, expiresAt: expiresAt.toISOString() } satisfies ShareInvitationPayload as unknown as Record<string, unknown>,
      idempotencyKey: invitationKey(id),
      locale: 'fr',
    });
    return id;
  });
  deps.outbox.wake();
  const created = await findOwnShare(em, physician.id, shareId);
  return created!;
}

async function findOwnShare(em: EntityManager, creatorId: string, id: string): Promise<ShareRow | null> {
  if (!isUuid(id)) return null;
  const [row] = await em.execute<ShareRow[]>(
    `select ${SHARE_COLUMNS} from share s join document d on d.id = s.document_id where s.id = ? and s.creator_id = ?`,
    [id, creatorId],
  );
  return row ? mapShare(row) : null;
}

/**
 * Revokes one of the physician's shares: grants already handed out stop working on their next
 * request (the grant resolver reads the share every time) and an invitation still waiting in the
 * outbox is cancelled with its token. Another physician's share is "not found".
 */
export async function revokeShare(em: EntityManager, viewer: Viewer, id: string, actor: AuditFields): Promise<ShareRow> {
  const physician = requirePhysician(viewer);
  if (!isUuid(id)) throw notFound('Share');
  await em.transactional(async (tx) => {
    const [row] = await tx.execute<{ examId: string; documentId: string; patientId: string; revokedAt: Date | null }[]>(
      `select d.exam_id as "examId", d.id as "documentId", e.patient_id as "patientId", s.revoked_at as "revokedAt"
         from share s join document d on d.id = s.document_id join exam e on e.id = d.exam_id
        where s.id = ? and s.creator_id = ? for update of s`,
      [id, physician.id],
    );
    if (!row) throw notFound('Share');
    if (row.revokedAt) return;
    await tx.execute(`update share set revoked_at = now() where id = ?`, [id]);
    await tx.execute(
      `update outbox_message set failed_at = now(), last_error = 'share revoked', failure_kind = ?
        where idempotency_key = ? and sent_at is null and failed_at is null`,
      [CANCELLED_KIND, invitationKey(id)],
    );
    audit(tx, 'SHARE_REVOKED', { ...actor, patientId: row.patientId, examId: row.examId, documentId: row.documentId, shareId: id, outcome: 'SUCCESS' });
  });
  return (await findOwnShare(em, physician.id, id))!;
}

export function shareCursor(row: Pick<ShareRow, 'createdAt' | 'id'>): string {
  return encodeCursor(row.createdAt.toISOString(), row.id);
}

/** « Mes partages »: the shares this physician made, newest first, one query per page. */
export async function listMyShares(
  em: EntityManager,
  viewer: Viewer,
  opts: { first: number; after?: string | null },
): Promise<{ rows: ShareRow[]; hasNextPage: boolean; totalCount: number }> {
  const physician = requirePhysician(viewer);
  if (!Number.isInteger(opts.first) || opts.first < 1 || opts.first > 100) throw badInput('first must be between 1 and 100', 'first');
  const params: unknown[] = [physician.id];
  let sql = `select ${SHARE_COLUMNS} from share s join document d on d.id = s.document_id where s.creator_id = ?`;
  if (opts.after) {
    const c = decodeCursor(opts.after, isIsoTimestamp);
    sql += ` and (s.created_at, s.id) < (?::timestamptz, ?::uuid)`;
    params.push(c.at, c.id);
  }
  sql += ` order by s.created_at desc, s.id desc limit ?`;
  params.push(opts.first + 1);
  const [rows, count] = await Promise.all([
    em.execute<ShareRow[]>(sql, params),
    em.fork().execute<{ n: number }[]>(`select count(*)::int as n from share where creator_id = ?`, [physician.id]),
  ]);
  return { rows: rows.slice(0, opts.first).map(mapShare), hasNextPage: rows.length > opts.first, totalCount: count[0]?.n ?? 0 };
}

/** The openings of some of the viewer's shares (the list's detail), newest first; another physician's share has none for them. */
export async function accessesOfShares(em: EntityManager, viewer: Viewer, shareIds: readonly string[]): Promise<ShareAccessRow[]> {
  const creatorId = requirePhysician(viewer).id;
  if (shareIds.length === 0) return [];
  const rows = await em.execute<ShareAccessRow[]>(
    `select a.id, a.share_id as "shareId", a.at, a.outcome from share_access a join share s on s.id = a.share_id
      where a.share_id = any(?::uuid[]) and s.creator_id = ? order by a.at desc, a.id desc`,
    [uuidArray(shareIds), creatorId],
  );
  return rows.map((r) => ({ ...r, at: asDate(r.at) }));
}
