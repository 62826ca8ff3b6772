import QRCode from 'qrcode';
import { defineTemplate, escapeHtml, layout } from '../../infra/mail/templates.js';

export const SHARE_INVITATION_TEMPLATE = 'share.invitation';
const QR_CID = 'share-qr@e-mage';

/** What the outbox row holds until the mail leaves; the token is then dropped (ADR 0061). */
export interface ShareInvitationPayload {
  shareId: string;
  token: string;
  /** « Dr Prénom Nom »: who sends, never whose exam. */
  senderName: string;
  comment: string | null;
  expiresAt: string;
}

/** The link of the e-mail and of its QR code: the only place a share token appears. */
export function shareLink(publicUrl: string, token: string): string {
  return `${publicUrl}/s/${token}`;
}

/** DD/MM/YYYY HH:mm in Paris time, as the guide shows it. */
export function parisDateTime(d: Date): string {
  return new Intl.DateTimeFormat('fr-FR', {
    timeZone: 'Europe/Paris', day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).format(d);
}

// Mail is not a secure channel: the message names the sender and carries the physician's
// comment, but never the patient, the exam's title or date, nor any identifier. The token is in
// the link and the QR code only (the Message-ID derives from the share id).
defineTemplate(SHARE_INVITATION_TEMPLATE, async (raw, { config }) => {
  const p = raw as unknown as ShareInvitationPayload;
  if (typeof p.token !== 'string' || !p.token) throw new Error('share invitation without its token (already sent or cancelled)');
  const link = shareLink(config.publicUrl, p.token);
  const until = parisDateTime(new Date(p.expiresAt));
  const qr = await QRCode.toBuffer(link, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 240 });

  const subject = 'e-mage : des examens ont été sélectionnés à votre attention';
  const intro = `Des examens ont été sélectionnés à votre attention par ${p.senderName}.`;
  const commentLabel = 'Message du médecin :';
  const qrText = 'Le lien disponible ci-dessus est exploitable à l’aide du QR code ci-dessous :';
  const validity = `Ce lien est personnel et valable jusqu’au ${until} (heure de Paris). Il donne un accès temporaire aux examens, sans compte.`;
  const ignore = 'Si vous n’attendiez pas ce message, ignorez-le.';

  const html = [
    `<h2 style="font-size:18px">Visualisation d’examens d’imagerie</h2>`,
    `<p>${escapeHtml(intro)}</p>`,
    p.comment ? `<p style="margin-bottom:0">${escapeHtml(commentLabel)}</p><blockquote style="margin:.25em 0 1em;padding:.5em 1em;border-left:3px solid #0b5cad;white-space:pre-wrap">${escapeHtml(p.comment)}</blockquote>` : '',
    `<p>Pour y accéder, cliquez <a href="${escapeHtml(link)}">ici</a>.</p>`,
    `<p>${escapeHtml(qrText)}</p>`,
    `<p><img src="cid:${QR_CID}" width="240" height="240" alt="QR code du lien d’accès aux examens"></p>`,
    `<p>${escapeHtml(validity)}</p>`,
    `<p style="color:#475467">${escapeHtml(ignore)}</p>`,
  ].join('\n');
  const text = [
    'Visualisation d’examens d’imagerie',
    '',
    intro,
    ...(p.comment ? ['', commentLabel, p.comment] : []),
    '',
    `Pour y accéder, cliquez ici : ${link}`,
    '',
    'Le même lien figure dans le QR code de ce message (version HTML).',
    '',
    validity,
    ignore,
  ].join('\n');
  return {
    subject,
    ...layout(config, 'fr', html, text),
    attachments: [{ filename: 'qr-code.png', content: qr, contentType: 'image/png', cid: QR_CID }],
  };
});
