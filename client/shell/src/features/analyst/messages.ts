export default {
  fr: {
    title: 'Espace analyste',
    intro: "Les chiffres d’activité du portail, agrégés et désidentifiés, s’interrogent depuis le playground GraphQL. Aucun nom, date de naissance ni identifiant de patient n’y est accessible, et les groupes de moins de 5 sont masqués.",
    open: 'Ouvrir le playground GraphQL',
  },
  en: {
    title: 'Analyst area',
    intro: "The portal's activity figures, aggregated and de-identified, are queried from the GraphQL playground. No patient name, birth date or identifier is reachable there, and groups smaller than 5 are hidden.",
    open: 'Open the GraphQL playground',
  },
};
