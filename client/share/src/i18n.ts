import { createI18n } from 'vue-i18n';

export type Locale = 'fr' | 'en';

const messages = {
  fr: {
    tagline: 'Imagerie médicale partagée',
    pageTitle: 'Examen partagé',
    language: 'Langue',
    loading: 'Chargement de l’examen…',
    patient: 'Patient',
    birthDate: 'Date de naissance',
    banner: 'Identité du patient',
    ageTitle: 'Âge',
    age: '{n} an | {n} ans',
    ageMonths: '{n} mois',
    sex: 'Sexe',
    sexes: { F: 'Femme', M: 'Homme', O: 'Autre', U: 'Non renseigné' },
    examDate: 'Date de l’examen',
    expires: 'Accès disponible jusqu’au {date}',
    sharedDocument: 'Document partagé',
    sharedBy: 'Partagé par {name}',
    report: 'Compte-rendu',
    imaging: 'Imagerie',
    openReport: 'Ouvrir le compte-rendu (PDF) dans un nouvel onglet',
    reportFrame: 'Compte-rendu\u00a0: {title}',
    viewerLoading: 'Chargement de la visionneuse…',
    viewerFailed: 'La visionneuse n’a pas pu être chargée. Rechargez la page ou contactez le support.',
    refused: {
      EXPIRED: 'Ce lien de partage a expiré.',
      REVOKED: 'Ce lien de partage a été révoqué par le médecin.',
      NONE: 'Aucun examen partagé n’est ouvert. Pour consulter l’examen, ouvrez le lien reçu par e-mail.',
    },
    session:
      'Vous êtes connecté au portail e-mage en tant que professionnel\u00a0: le lien de partage ne s’ouvre pas dans cette session. Déconnectez-vous du portail, ou ouvrez le lien dans une fenêtre de navigation privée.',
    error: 'Une erreur est survenue. Veuillez réessayer.',
    retry: 'Réessayer',
    notice: {
      title: 'Données de santé confidentielles',
      text: 'Un médecin vous a confié cet examen pour que vous en preniez connaissance. Les images et le compte-rendu portent l’identité du patient (nom, date de naissance, identifiants du centre d’imagerie). Ne les transmettez pas et n’en gardez pas de copie.',
    },
    support: { need: 'Besoin d’assistance\u00a0?', contact: 'Contactez le support {label}', or: 'ou' },
  },
  en: {
    tagline: 'Shared medical imaging',
    pageTitle: 'Shared exam',
    language: 'Language',
    loading: 'Loading the exam…',
    patient: 'Patient',
    birthDate: 'Date of birth',
    banner: 'Patient identity',
    ageTitle: 'Age',
    age: '{n} year | {n} years',
    ageMonths: '{n} month | {n} months',
    sex: 'Sex',
    sexes: { F: 'Female', M: 'Male', O: 'Other', U: 'Not stated' },
    examDate: 'Exam date',
    expires: 'Available until {date}',
    sharedDocument: 'Shared document',
    sharedBy: 'Shared by {name}',
    report: 'Report',
    imaging: 'Imaging',
    openReport: 'Open the report (PDF) in a new tab',
    reportFrame: 'Report: {title}',
    viewerLoading: 'Loading the viewer…',
    viewerFailed: 'The viewer could not be loaded. Reload the page or contact support.',
    refused: {
      EXPIRED: 'This share link has expired.',
      REVOKED: 'This share link was revoked by the physician.',
      NONE: 'No shared exam is open. To see the exam, open the link you received by e-mail.',
    },
    session:
      'You are logged in to the e-mage portal as a professional: the share link does not open in that session. Log out of the portal, or open the link in a private window.',
    error: 'Something went wrong. Please try again.',
    retry: 'Try again',
    notice: {
      title: 'Confidential health data',
      text: 'A physician entrusted this exam to you so that you can read it. The images and the report carry the patient’s identity (name, date of birth, the imaging centre’s identifiers). Do not pass them on or keep a copy.',
    },
    support: { need: 'Need help?', contact: 'Contact {label} support', or: 'or' },
  },
};

const stored = localStorage.getItem('emage.locale');
export const initialLocale: Locale = stored === 'en' ? 'en' : 'fr';

// Dates with the month in words (« 12 mars 1961 », "Mar 12, 1961"): 03/12/1961 is two different
// days in French and in English (issue 19). The French date and time stays numeric, day first.
const dateTime = { day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' } as const;
const dateTimeEn = { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' } as const;
const date = { day: 'numeric', month: 'short', year: 'numeric' } as const;

export const i18n = createI18n({
  legacy: false,
  locale: initialLocale,
  fallbackLocale: 'fr',
  messages,
  datetimeFormats: { fr: { date, dateTime }, en: { date, dateTime: dateTimeEn } },
});

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale;
  localStorage.setItem('emage.locale', locale);
  document.documentElement.lang = locale;
}
