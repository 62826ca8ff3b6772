import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppDeps } from '../../app-deps.js';
import { forbidden } from '../../common/errors.js';
import { consumeRateLimit } from '../../common/rate-limit.js';
import { hashToken, newToken } from '../../common/tokens.js';
import type { Viewer } from '../../graphql/context.js';
import type { ViewerResolver } from '../../graphql/viewer.js';
import { audit } from '../audit/audit.service.js';
import { reportUrlOf } from '../exam/document.service.js';
import { DocumentType } from '../exam/exam.entity.js';
import { asDate } from '../exam/exam.service.js';
import type { Sex } from '../patient/patient.entity.js';
import { PgPubSub } from '../../infra/pubsub/pg-pubsub.js';
import { NOTIFICATION_TOPIC, UNREAD_TOPIC, type NotificationEvent, type UnreadChangedEvent } from '../notification/notification.service.js';

/** The cookie the link is exchanged for (HttpOnly, SameSite=Strict): never the share token itself. */
export const SHARE_GRANT_COOKIE = 'emage_share';
/** A grant unused this long ends; the link from the e-mail opens a new one while the share lasts. */
export const GRANT_IDLE_SECONDS = 3600;
/** Link openings per address and quarter of an hour (times RATE_LIMIT_SCALE): a person never comes close. */
const OPENINGS_PER_IP = 30;
const OPENING_WINDOW_SECONDS = 900;

/**
 * A share is alive while it is neither revoked nor expired, its exam is still published, and
 * the patient still names its creator on that exam (a right withdrawn takes the share with it).
 */
const SHARE_ALIVE_SQL = `s.revoked_at is null and s.expires_at > now() and e.status = 'PUBLISHED'
  and exists (select 1 from exam_access a where a.exam_id = e.id and a.physician_id = s.creator_id)`;

export type OpenOutcome =
  | { kind: 'opened'; grant: string; maxAgeSeconds: number }
  | { kind: 'unknown' }
  | { kind: 'expired' }
  | { kind: 'revoked' };

interface ShareLookup {
  id: string;
  creatorId: string;
  documentId: string;
  examId: string;
  patientId: string;
  expiresAt: Date;
  revoked: boolean;
  alive: boolean;
}

/** Tokens are base64url of 32 bytes; anything else is not worth a database lookup. */
function plausibleToken(token: string): boolean {
  return /^[A-Za-z0-9_-]{20,100}$/.test(token);
}

/**
 * GET /s/<token>: exchanges a share token for a grant. Every attempt counts against the caller's
 * address first (guessing is rate-limited even though 256 bits cannot be guessed); every attempt
 * on a real share is recorded in share_access (time, address, browser, outcome); an unknown
 * token leaves an audit trace without any share.
 */
export async function openShareLink(em: EntityManager, deps: AppDeps, token: string, origin: { ip: string | null; userAgent: string | null }): Promise<OpenOutcome> {
  await consumeRateLimit(em, deps.config, `share-open:${origin.ip ?? 'unknown'}`, OPENINGS_PER_IP, OPENING_WINDOW_SECONDS);
  const fields = { actorKind: 'ANONYMOUS', ip: origin.ip, userAgent: origin.userAgent?.slice(0, 500) ?? null };
  const share = plausibleToken(token) ? await lookupByToken(em, token) : null;
  if (!share) {
    audit(em, 'SHARE_DENIED', { ...fields, outcome: 'UNKNOWN_TOKEN' });
    await em.flush();
    return { kind: 'unknown' };
  }
  const trace = { ...fields, actorKind: 'SHARE', shareId: share.id, patientId: share.patientId, examId: share.examId, documentId: share.documentId };
  if (!share.alive) {
    const outcome = share.revoked ? 'REVOKED' : 'EXPIRED';
    await em.transactional(async (tx) => {
      await recordAccess(tx, share.id, origin, outcome);
      audit(tx, 'SHARE_DENIED', { ...trace, outcome });
    });
    return { kind: share.revoked ? 'revoked' : 'expired' };
  }
  const grant = newToken();
  await em.transactional(async (tx) => {
    const [counted] = await tx.execute<{ openCount: number }[]>(
      `update share set open_count = open_count + 1, first_opened_at = coalesce(first_opened_at, now()), last_opened_at = now()
        where id = ? returning open_count as "openCount"`,
      [share.id],
    );
    await tx.execute(
      `insert into share_grant (id, share_id, token_hash, created_at, last_seen_at, idle_expires_at)
       values (gen_random_uuid(), ?, ?, now(), now(), least(now() + make_interval(secs => ?), ?::timestamptz))`,
      [share.id, hashToken(grant), GRANT_IDLE_SECONDS, share.expiresAt],
    );
    await recordAccess(tx, share.id, origin, 'OPENED');
    audit(tx, 'SHARE_OPENED', { ...trace, outcome: 'SUCCESS' });
    if (counted?.openCount === 1) await notifyShareOpened(tx, deps, { recipientId: share.creatorId, examId: share.examId });
  });
  return { kind: 'opened', grant, maxAgeSeconds: Math.max(1, Math.floor((share.expiresAt.getTime() - Date.now()) / 1000)) };
}

/**
 * The sharer's in-app notice that the share was opened, written in the opening's transaction
 * (no e-mail). The notification table keeps one row per physician, exam and kind: a later share
 * of the same exam, opened, brings it back unread and to the top.
 */
async function notifyShareOpened(tx: EntityManager, deps: AppDeps, target: { recipientId: string; examId: string }): Promise<void> {
  const [row] = await tx.execute<{ id: string }[]>(
    `insert into notification (id, recipient_id, exam_id, kind, created_at)
     values (gen_random_uuid(), ?, ?, 'SHARE_OPENED', now())
     on conflict (recipient_id, exam_id, kind) do update set created_at = now(), read_at = null
     returning id`,
    [target.recipientId, target.examId],
  );
  if (row) {
    await deps.pubsub.publishInTransaction(tx, PgPubSub.topicFor(NOTIFICATION_TOPIC, target.recipientId), {
      notificationId: row.id,
      recipientId: target.recipientId,
    } satisfies NotificationEvent);
  }
  await deps.pubsub.publishInTransaction(tx, PgPubSub.topicFor(UNREAD_TOPIC, target.recipientId), { recipientId: target.recipientId } satisfies UnreadChangedEvent);
}

async function lookupByToken(em: EntityManager, token: string): Promise<ShareLookup | null> {
  const [row] = await em.execute<ShareLookup[]>(
    `select s.id, s.creator_id as "creatorId", s.document_id as "documentId", d.exam_id as "examId", e.patient_id as "patientId",
            s.expires_at as "expiresAt", s.revoked_at is not null as revoked, (${SHARE_ALIVE_SQL}) as alive
       from share s join document d on d.id = s.document_id join exam e on e.id = d.exam_id
      where s.token_hash = ?`,
    [hashToken(token)],
  );
  return row ? { ...row, expiresAt: asDate(row.expiresAt) } : null;
}

async function recordAccess(tx: EntityManager, shareId: string, origin: { ip: string | null; userAgent: string | null }, outcome: string): Promise<void> {
  await tx.execute(
    `insert into share_access (id, share_id, at, ip, user_agent, outcome) values (gen_random_uuid(), ?, now(), ?, ?, ?)`,
    [shareId, origin.ip, origin.userAgent?.slice(0, 500) ?? null, outcome],
  );
}

/**
 * The grant cookie as a viewer, checked against the share on every request: a revoked or
 * expired share, a withdrawn exam or an idle grant resolves to nobody, so the next GraphQL,
 * DICOMweb or PDF request after a revocation is refused, open viewers included. The idle
 * expiry slides at most twice a minute, not on every frame.
 */
export const shareGrantViewerResolver: ViewerResolver = async (em, _deps, src, opts) => {
  const grant = src.cookies[SHARE_GRANT_COOKIE];
  if (!grant || !plausibleToken(grant)) return null;
  const [row] = await em.execute<Array<{ grantId: string; shareId: string; documentId: string; examId: string; studyInstanceUid: string | null; expiresAt: Date; stale: boolean }>>(
    `select g.id as "grantId", s.id as "shareId", s.document_id as "documentId", d.exam_id as "examId",
            coalesce(e.study_instance_uid, d.study_instance_uid) as "studyInstanceUid", s.expires_at as "expiresAt",
            g.last_seen_at < now() - interval '30 seconds' as stale
       from share_grant g join share s on s.id = g.share_id join document d on d.id = s.document_id join exam e on e.id = d.exam_id
      where g.token_hash = ? and g.idle_expires_at > now() and ${SHARE_ALIVE_SQL}`,
    [hashToken(grant)],
  );
  if (!row) return null;
  if (opts.touch && row.stale) {
    await em.execute(
      `update share_grant set last_seen_at = now(), idle_expires_at = least(now() + make_interval(secs => ?), ?::timestamptz) where id = ?`,
      [GRANT_IDLE_SECONDS, row.expiresAt, row.grantId],
    );
  }
  return { kind: 'share', shareId: row.shareId, documentId: row.documentId, examId: row.examId, studyInstanceUid: row.studyInstanceUid, expiresAt: asDate(row.expiresAt) };
};

export type GrantState = 'ACTIVE' | 'EXPIRED' | 'REVOKED' | 'NONE';

/**
 * Why the page's grant no longer works, for the share page to say so: read from the caller's
 * own cookie only (no token or id is accepted), so it tells nothing about anyone else's share.
 */
export async function grantState(em: EntityManager, grant: string | undefined): Promise<GrantState> {
  if (!grant || !plausibleToken(grant)) return 'NONE';
  const [row] = await em.execute<Array<{ revoked: boolean; alive: boolean; idle: boolean }>>(
    `select s.revoked_at is not null as revoked, (${SHARE_ALIVE_SQL}) as alive, g.idle_expires_at <= now() as idle
       from share_grant g join share s on s.id = g.share_id join document d on d.id = s.document_id join exam e on e.id = d.exam_id
      where g.token_hash = ?`,
    [hashToken(grant)],
  );
  if (!row) return 'NONE';
  if (row.revoked) return 'REVOKED';
  if (!row.alive) return 'EXPIRED';
  return row.idle ? 'NONE' : 'ACTIVE';
}

export interface SharedDocumentView {
  shareId: string;
  expiresAt: Date;
  examTitle: string;
  examDate: Date;
  patient: SharedPatient;
  /** The physician who shared, as the invitation e-mail names them. */
  sharedBy: string;
  comment: string | null;
  document: SharedDocumentItem;
  /** Every document of the shared exam, the shared one first (ADR 0060: a share opens its exam). */
  documents: SharedDocumentItem[];
}

/** Who the shared exam is of, as the exam's centre sent it (ADR 0098). */
export interface SharedPatient {
  firstName: string;
  lastName: string;
  birthDate: string | null;
  sex: Sex | null;
}

export interface SharedDocumentItem {
  id: string;
  type: DocumentType;
  title: string;
  date: Date;
  reportUrl: string | null;
  studyInstanceUid: string | null;
}

/**
 * What a share grant may read, and only a share grant: its exam's title and date, who the patient
 * is (name, birth date, sex: the recipient must know whose images they read; ADR 0098) and the
 * exam's documents. The identity is the one the exam's centre sent — its newest record of the
 * patient, the patient row only when that centre has none — so the recipient learns nothing
 * another centre knows. No identifier, address or phone here; the DICOM files the grant reads
 * are the centre's own, unmodified.
 */
export async function readSharedDocument(em: EntityManager, viewer: Viewer): Promise<SharedDocumentView | null> {
  if (viewer.kind !== 'share') throw forbidden();
  const rows = await em.execute<Array<SharedDocumentItem & { examTitle: string; examDate: Date } & SharedPatient>>(
    `select d.id, d.type, d.title, d.date, d.study_instance_uid as "studyInstanceUid",
            e.title as "examTitle", e.date as "examDate",
            who.first_name as "firstName", who.last_name as "lastName", who.birth_date::text as "birthDate", who.sex
       from exam e join patient p on p.id = e.patient_id join document d on d.exam_id = e.id
       cross join lateral (
         select x.first_name, x.last_name, x.birth_date, x.sex from (
           select 0 as fallback, r.received_at as at, r.id, r.first_name, r.last_name, r.birth_date, r.sex
             from administrative_record r where r.patient_id = e.patient_id and r.facility_id = e.facility_id
           union all
           select 1, null, p.id, p.first_name, p.last_name, p.birth_date, p.sex
         ) x order by x.fallback, x.at desc, x.id limit 1) who
      where e.id = ?
      order by (d.id = ?) desc, d.type desc, d.date desc, d.id`,
    [viewer.examId, viewer.documentId],
  );
  const first = rows[0];
  if (!first || first.id !== viewer.documentId) return null;
  const [share] = await em.execute<Array<{ firstName: string; lastName: string; comment: string | null }>>(
    `select u.first_name as "firstName", u.last_name as "lastName", s.comment from share s join app_user u on u.id = s.creator_id where s.id = ?`,
    [viewer.shareId],
  );
  if (!share) return null;
  const documents = rows.map((r) => ({
    id: r.id,
    type: r.type,
    title: r.title,
    date: asDate(r.date),
    reportUrl: reportUrlOf(r),
    studyInstanceUid: r.type === DocumentType.IMAGING ? r.studyInstanceUid : null,
  }));
  return {
    shareId: viewer.shareId,
    expiresAt: viewer.expiresAt,
    examTitle: first.examTitle,
    examDate: asDate(first.examDate),
    patient: { firstName: first.firstName, lastName: first.lastName, birthDate: first.birthDate, sex: first.sex },
    sharedBy: `Dr ${share.firstName} ${share.lastName}`,
    comment: share.comment,
    document: documents[0]!,
    documents,
  };
}
