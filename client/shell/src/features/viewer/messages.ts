export default {
  fr: {
    moduleFailed: 'La visionneuse n’a pas pu être chargée.',
    retry: 'Réessayer',
  },
  en: {
    moduleFailed: 'The viewer could not be loaded.',
    retry: 'Retry',
  },
};
