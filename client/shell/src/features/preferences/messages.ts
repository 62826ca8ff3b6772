export default {
  fr: {
    title: 'Préférences',
    notifications: 'Notifications',
    emailLabel: 'Recevoir un e-mail à chaque nouvel examen disponible',
    emailHint: "L’e-mail ne contient aucune donnée patient. Qu’il soit activé ou non, les notifications restent visibles dans le portail depuis l’icône de notifications.",
    saved: 'Préférence enregistrée.',
  },
  en: {
    title: 'Preferences',
    notifications: 'Notifications',
    emailLabel: 'Receive an e-mail for each new exam available',
    emailHint: 'The e-mail contains no patient data. Either way, notifications stay visible in the portal from the notifications icon.',
    saved: 'Preference saved.',
  },
};
