import { defineTemplate, escapeHtml, layout } from '../../infra/mail/templates.js';

const WORDING = {
  fr: {
    subject: 'e-mage : un nouvel examen est disponible',
    heading: 'Un nouvel examen est disponible',
    body: 'Un nouvel examen pour lequel vous êtes référencé en tant que médecin est disponible sur le portail e-mage.',
    privacy: "Ce message n'étant pas envoyé par messagerie sécurisée, il ne contient aucune donnée patient. Vous retrouverez l'examen après connexion, depuis ce lien ou depuis l'icône de notifications du portail.",
    cta: 'Voir la notification sur le portail :',
    optOut: 'Vous pouvez désactiver ces e-mails depuis la page « Préférences » du portail ; les notifications restent visibles dans le portail.',
  },
  en: {
    subject: 'e-mage: a new exam is available',
    heading: 'A new exam is available',
    body: 'A new exam for which you are referenced as a physician is available on the e-mage portal.',
    privacy: 'This message is not sent through secure messaging, so it contains no patient data. After logging in, find the exam from this link or from the notifications icon of the portal.',
    cta: 'See the notification on the portal:',
    optOut: 'You can turn these e-mails off from the "Preferences" page of the portal; notifications stay visible in the portal.',
  },
} as const;

/**
 * Mail is not a secure channel: this message says only that something is waiting, never for
 * whom or what (no name, birth date, identifier, exam title or date). The payload carries the
 * notification id alone, so the outbox row holds no patient data either.
 */
defineTemplate('notification.exam-available', (p, { config, locale }) => {
  const w = locale === 'en' ? WORDING.en : WORDING.fr;
  const link = `${config.publicUrl}/notifications/${encodeURIComponent(String(p.notificationId))}`;
  const html = `<h2 style="font-size:18px">${escapeHtml(w.heading)}</h2>
<p>${escapeHtml(w.body)}</p>
<p>${escapeHtml(w.privacy)}</p>
<p><a href="${escapeHtml(link)}" style="display:inline-block;background:#0b5cad;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none">${escapeHtml(w.cta.replace(/ ?:$/, ''))}</a></p>
<p style="font-size:13px;color:#475467">${escapeHtml(link)}</p>
<p style="font-size:13px;color:#475467">${escapeHtml(w.optOut)}</p>`;
  const text = `${w.heading}\n\n${w.body}\n\n${w.privacy}\n\n${w.cta} ${link}\n\n${w.optOut}`;
  return { subject: w.subject, ...layout(config, locale, html, text) };
});
