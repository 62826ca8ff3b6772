export default {
  fr: {
    title: 'Visionneuse',
    loading: 'Chargement du document…',
    notFound: 'Ce document est introuvable ou vous n’y avez pas accès.',
    notImaging: 'Ce document n’est pas une imagerie.',
    moduleFailed: 'La visionneuse n’a pas pu être chargée.',
    retry: 'Réessayer',
    close: 'Fermer la fenêtre',
  },
  en: {
    title: 'Viewer',
    loading: 'Loading the document…',
    notFound: 'This document does not exist or you do not have access to it.',
    notImaging: 'This document is not an imaging study.',
    moduleFailed: 'The viewer could not be loaded.',
    retry: 'Retry',
    close: 'Close the window',
  },
};
