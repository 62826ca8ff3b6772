import { defineTemplate, escapeHtml, layout } from '../../infra/mail/templates.js';

// Mail is not a secure channel: this message says only that something is waiting, never for
// whom (no name, birth date, identifier, exam title or date).
defineTemplate('notification.exam-available', (p, { config, locale }) => {
  const link = `${config.publicUrl}/notifications/${String(p.notificationId)}`;
  const fr = locale !== 'en';
  const subject = fr ? 'e-mage : un nouvel examen est disponible' : 'e-mage: a new exam is available';
  const body = fr
    ? 'Un nouvel examen pour lequel vous êtes référencé est disponible sur le portail e-mage. Pour des raisons de confidentialité, ce message ne contient aucune donnée patient.'
    : 'A new exam for which you are referenced is available on the e-mage portal. For confidentiality, this message contains no patient data.';
  const cta = fr ? 'Voir la notification sur le portail' : 'See the notification on the portal';
  const { html, text } = layout(config, locale, `<p>${escapeHtml(body)}</p><p><a href="${escapeHtml(link)}">${cta}</a></p>`, `${body}\n\n${cta} : ${link}`);
  return { subject, html, text };
});
