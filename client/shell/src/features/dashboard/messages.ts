export default {
  fr: { title: 'Tableau de bord', empty: 'Aucun patient pour le moment.' },
  en: { title: 'Dashboard', empty: 'No patient yet.' },
};
