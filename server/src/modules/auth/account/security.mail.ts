import { defineTemplate, escapeHtml, layout } from '../../../infra/mail/templates.js';

/**
 * What changed on an account's security, told to its owner (issue 20): never a patient, never
 * a code or a secret, only what happened and whom to call if it was not them.
 */
export type SecurityChange =
  | 'PASSWORD_CHANGED'
  | 'TOTP_ADDED'
  | 'PASSKEY_ADDED'
  | 'SECOND_FACTOR_REMOVED'
  | 'RECOVERY_CODES_GENERATED'
  | 'SECOND_FACTOR_RESET';

const SUBJECTS: Record<SecurityChange, { fr: string; en: string }> = {
  PASSWORD_CHANGED: { fr: 'Votre mot de passe a été modifié', en: 'Your password was changed' },
  TOTP_ADDED: { fr: 'Une application d’authentification a été ajoutée à votre compte', en: 'An authenticator app was added to your account' },
  PASSKEY_ADDED: { fr: 'Une clé d’accès a été ajoutée à votre compte', en: 'A passkey was added to your account' },
  SECOND_FACTOR_REMOVED: { fr: 'Un second facteur a été retiré de votre compte', en: 'A second factor was removed from your account' },
  RECOVERY_CODES_GENERATED: { fr: 'De nouveaux codes de secours ont été générés', en: 'New recovery codes were generated' },
  SECOND_FACTOR_RESET: {
    fr: 'Un administrateur a réinitialisé votre second facteur',
    en: 'An administrator reset your second factor',
  },
};

defineTemplate('auth.security-change', (p, { config, locale }) => {
  const fr = locale !== 'en';
  const change = (SUBJECTS[p.change as SecurityChange] ?? SUBJECTS.PASSWORD_CHANGED)[fr ? 'fr' : 'en'];
  const next =
    p.change === 'SECOND_FACTOR_RESET'
      ? fr
        ? 'À votre prochaine connexion, il vous sera demandé d’en enregistrer un nouveau si votre profil l’exige.'
        : 'At your next login you will be asked to enrol a new one if your role requires it.'
      : '';
  const warn = fr
    ? "Si vous n'êtes pas à l'origine de ce changement, réinitialisez votre mot de passe et contactez le support sans attendre."
    : 'If you did not make this change, reset your password and contact support at once.';
  const account = fr ? 'Gérez votre compte' : 'Manage your account';
  const link = `${config.publicUrl}/mon-compte`;
  const { html, text } = layout(
    config,
    locale,
    `<p><strong>${escapeHtml(change)}.</strong></p>${next ? `<p>${escapeHtml(next)}</p>` : ''}<p>${escapeHtml(warn)}</p><p><a href="${escapeHtml(link)}">${escapeHtml(account)}</a></p>`,
    `${change}.\n${next ? `${next}\n` : ''}\n${warn}\n\n${account} : ${link}`,
  );
  return { subject: `e-mage : ${change.charAt(0).toLowerCase()}${change.slice(1)}`, html, text };
});
