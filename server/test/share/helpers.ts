import jsqr from 'jsqr';
import { PNG } from 'pngjs';
import { forkEm } from '../../src/bootstrap.js';
import { hashToken, newToken } from '../../src/common/tokens.js';
import type { CaughtMail } from '../../src/infra/mail/smtp-catcher.js';
import { GqlClient, type TestServer } from '../harness.js';

// jsqr is CommonJS whose ES default export arrives, under NodeNext, as `module.exports.default`.
const jsQR = jsqr.default;

export const SHARE = `mutation($d: ID!, $e: String!, $c: String) {
  shareDocument(documentId: $d, email: $e, comment: $c) { id status expiresAt createdAt openCount recipientEmail comment document { id title } }
}`;
export const REVOKE = `mutation($id: ID!) { revokeShare(id: $id) { id status revokedAt } }`;
export const SHARED = `{ sharedDocument { id type title reportUrl studyInstanceUid examTitle examDate patientDisplayName patientBirthDate patientSex expiresAt documents { id type reportUrl studyInstanceUid } } }`;

/** The share link of an invitation e-mail (the text part), and its token. */
export function linkIn(mail: CaughtMail): { link: string; token: string } {
  const m = /(https?:\/\/[^\s]+\/s\/([A-Za-z0-9_-]+))/.exec(mail.text);
  if (!m?.[1] || !m[2]) throw new Error(`No share link in:\n${mail.text}`);
  return { link: m[1], token: m[2] };
}

/** The text of the QR code of an invitation, decoded from its inline PNG. */
export function qrTextOf(mail: CaughtMail): string | null {
  const png = mail.attachments.find((a) => a.contentType === 'image/png');
  if (!png) return null;
  const image = PNG.sync.read(Buffer.from(png.contentBase64, 'base64'));
  return jsQR(new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length), image.width, image.height)?.data ?? null;
}

/**
 * A live share of a document by its creator, written as shareDocument writes it, without the
 * invitation mail: for specs about what a grant reads, not about sending. Returns the link's token.
 */
export async function shareOf(t: TestServer, documentId: string, creatorId: string): Promise<string> {
  const token = newToken();
  await forkEm(t.deps).execute(
    `insert into share (id, document_id, creator_id, recipient_email, comment, token_hash, created_at, expires_at, open_count)
     values (gen_random_uuid(), ?, ?, 'destinataire@exemple.fr', null, ?, now(), now() + interval '1 hour', 0)`,
    [documentId, creatorId, hashToken(token)],
  );
  return token;
}

/** A browser without a session that follows the e-mailed link: it holds the grant cookie after. */
export async function openLink(t: TestServer, token: string, headers: Record<string, string> = {}): Promise<{ client: GqlClient; res: Response }> {
  const client = new GqlClient(t.url);
  const res = await client.fetch(`/s/${token}`, { headers: { 'user-agent': 'Recipient-Browser/1.0', ...headers } });
  return { client, res };
}

export async function waitForShareMail(t: TestServer, to: string): Promise<CaughtMail> {
  return t.waitForMail((m) => m.to.includes(to) && /sélectionnés à votre attention/.test(m.subject));
}
