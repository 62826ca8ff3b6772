export default {
  fr: {
    app: { name: 'e-mage', tagline: 'Imagerie médicale partagée' },
    header: { logout: 'Se déconnecter', language: 'Langue', mainNav: 'Navigation principale', dashboard: 'Tableau de bord', shares: 'Mes partages', admin: 'Demandes de compte', accounts: 'Comptes', facilities: 'Structures', audit: 'Journal', analyst: 'Statistiques', help: 'Aide' },
    support: { need: "Besoin d’assistance\u00a0?", contact: 'Contactez le support {label}', or: 'ou' },
    browser: { notice: "Nous vous recommandons l’utilisation des navigateurs Firefox ou Chrome. L’utilisation de Edge et d’Internet Explorer n’est pas recommandée." },
    idle: {
      title: 'Déconnexion imminente',
      warning: 'Sans activité de votre part, vous serez déconnecté dans {seconds} secondes pour des raisons de sécurité.',
      stay: 'Rester connecté',
      loggedOut: 'Vous avez été déconnecté automatiquement après une période d’inactivité. Veuillez vous authentifier à nouveau.',
    },
    common: { skipToContent: 'Aller au contenu', loading: 'Chargement…', close: 'Fermer', cancel: 'Annuler', error: 'Une erreur est survenue. Veuillez réessayer.', required: 'Champ obligatoire', field: '{label}\u00a0:' },
  },
  en: {
    app: { name: 'e-mage', tagline: 'Shared medical imaging' },
    header: { logout: 'Log out', language: 'Language', mainNav: 'Main navigation', dashboard: 'Dashboard', shares: 'My shares', admin: 'Account requests', accounts: 'Accounts', facilities: 'Facilities', audit: 'Audit trail', analyst: 'Statistics', help: 'Help' },
    support: { need: 'Need help?', contact: 'Contact {label} support', or: 'or' },
    browser: { notice: 'We recommend Firefox or Chrome. Edge and Internet Explorer are not recommended.' },
    idle: {
      title: 'About to log out',
      warning: 'Without activity, you will be logged out in {seconds} seconds for security reasons.',
      stay: 'Stay logged in',
      loggedOut: 'You were logged out automatically after a period of inactivity. Please log in again.',
    },
    common: { skipToContent: 'Skip to content', loading: 'Loading…', close: 'Close', cancel: 'Cancel', error: 'Something went wrong. Please try again.', required: 'Required field', field: '{label}:' },
  },
};
