import { defineTemplate, escapeHtml, layout } from '../../infra/mail/templates.js';

// Links carry their token in the URL fragment: browsers never send fragments to servers,
// so the token stays out of access logs and Referer headers.

/** A single-use link mail: one paragraph, one call to action, the common frame. */
function linkMail(
  config: Parameters<typeof layout>[0],
  locale: string,
  m: { subject: string; intro: string; cta: string; link: string },
): { subject: string; html: string; text: string } {
  const { html, text } = layout(
    config,
    locale,
    `<p>${escapeHtml(m.intro)}</p><p><a href="${escapeHtml(m.link)}">${escapeHtml(m.cta)}</a></p>`,
    `${m.intro}\n\n${m.cta} : ${m.link}`,
  );
  return { subject: m.subject, html, text };
}

defineTemplate('auth.activation', (p, { config, locale }) => {
  const fr = locale !== 'en';
  return linkMail(config, locale, {
    link: `${config.publicUrl}/activation#token=${String(p.token)}`,
    subject: fr ? 'e-mage : activez votre compte' : 'e-mage: activate your account',
    intro: fr
      ? 'Votre compte sur le portail e-mage a été créé. Pour choisir votre mot de passe et activer votre compte, utilisez le lien ci-dessous (valable une seule fois).'
      : 'Your e-mage account has been created. To choose your password and activate it, use the link below (single use).',
    cta: fr ? 'Activer mon compte' : 'Activate my account',
  });
});

defineTemplate('auth.password-reset', (p, { config, locale }) => {
  const fr = locale !== 'en';
  return linkMail(config, locale, {
    link: `${config.publicUrl}/reinitialiser-mot-de-passe#token=${String(p.token)}`,
    subject: fr ? 'e-mage : réinitialisation de votre mot de passe' : 'e-mage: reset your password',
    intro: fr
      ? "Une réinitialisation du mot de passe de votre compte e-mage a été demandée. Le lien ci-dessous est valable 1 heure et une seule fois. Si vous n'êtes pas à l'origine de cette demande, ignorez ce message."
      : 'A password reset was requested for your e-mage account. The link below is valid for 1 hour, once. If you did not ask for it, ignore this message.',
    cta: fr ? 'Choisir un nouveau mot de passe' : 'Choose a new password',
  });
});

defineTemplate('auth.account-rejected', (p, { config, locale }) => {
  const fr = locale !== 'en';
  const subject = fr ? "e-mage : votre demande de compte" : 'e-mage: your account request';
  const body = fr
    ? "Votre demande de création de compte sur le portail e-mage n'a pas été acceptée."
    : 'Your account request for the e-mage portal was not accepted.';
  const reason = typeof p.reason === 'string' && p.reason ? `${fr ? 'Motif' : 'Reason'} : ${p.reason}` : '';
  const { html, text } = layout(
    config,
    locale,
    `<p>${escapeHtml(body)}</p>${reason ? `<p>${escapeHtml(reason)}</p>` : ''}`,
    `${body}\n${reason}`,
  );
  return { subject, html, text };
});
