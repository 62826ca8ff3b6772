import type { Locale } from './types';

const fr = {
  viewerLabel: 'Visionneuse d’images',
  loading: 'Chargement de l’examen…',
  unauthorized: 'Accès refusé\u00a0: votre session a expiré ou ce lien n’est plus valide.',
  forbidden: 'Accès refusé\u00a0: vous n’êtes pas autorisé à consulter cet examen.',
  notFound: 'Examen introuvable.',
  noImages: 'Cet examen ne contient aucune image affichable.',
  network: 'Erreur réseau\u00a0: l’examen n’a pas pu être chargé.',
  retry: 'Réessayer',
  frameError: 'Image illisible',
  frameErrorDetail: 'Image illisible\u00a0: {reason} (série «\u00a0{desc}\u00a0», image {i}/{n}).',
  reasonPalette: 'les tables de couleurs de l’image sont absentes',
  reasonPhotometric: 'son codage des couleurs n’est pas pris en charge',
  reasonDecode: 'ses données n’ont pas pu être décodées',
  reasonNetwork: 'elle n’a pas pu être téléchargée',
  series: 'Séries',
  seriesLabel: 'Série {n}\u00a0: {desc}, {count} images',
  image: 'Image',
  imageOf: 'Im {i}/{n}',
  wl: 'F/N {w}/{l}',
  zoomValue: 'Zoom {z}\u00a0%',
  tools: 'Outils',
  wwwc: 'Fenêtrage',
  zoom: 'Zoom',
  pan: 'Déplacer',
  length: 'Mesure de longueur',
  fit: 'Ajuster',
  reset: 'Réinitialiser',
  invert: 'Inverser',
  rotate: 'Rotation',
  flipH: 'Miroir horizontal',
  flipV: 'Miroir vertical',
  presets: 'Préréglages de fenêtrage',
  presetFile: 'VOI du fichier',
  presetSoft: 'Tissus mous',
  presetLung: 'Poumon',
  presetBone: 'Os',
  presetBrain: 'Cerveau',
  play: 'Lecture',
  pause: 'Pause',
  fps: 'Images par seconde',
  overlays: 'Informations',
  fullscreen: 'Plein écran',
  help: 'Aide',
  close: 'Fermer',
  helpTitle: 'Raccourcis clavier',
  kScroll: 'Image précédente / suivante',
  kPage: 'Reculer / avancer de 10 images',
  kHomeEnd: 'Première / dernière image',
  kWheel: 'Molette\u00a0: changer d’image\u00a0; clic droit\u00a0: zoom\u00a0; clic milieu\u00a0: déplacer',
  kTools: 'Outils\u00a0: fenêtrage, zoom, déplacer, mesure',
  kPresets: 'Préréglages CT (tissus mous, poumon, os, cerveau)\u00a0; 0\u00a0: VOI du fichier',
  kFit: 'Ajuster à la fenêtre',
  kReset: 'Réinitialiser',
  kInvert: 'Inverser',
  kRotate: 'Rotation de 90°',
  kFlip: 'Miroir horizontal / vertical',
  kCine: 'Lecture / pause',
  kOverlay: 'Afficher / masquer les informations',
  kFullscreen: 'Plein écran',
  kSeries: 'Série suivante / précédente',
  kHelp: 'Afficher cette aide',
  kTouch: 'Sur écran tactile\u00a0: pincer pour zoomer, glisser à deux doigts pour déplacer',
  loadingSeries: 'Chargement {done}/{total}',
  layout: 'Disposition',
  layout1x1: 'Disposition 1\u00a0×\u00a01\u00a0: une image',
  layout1x2: 'Disposition 1\u00a0×\u00a02\u00a0: deux images côte à côte',
  layout2x2: 'Disposition 2\u00a0×\u00a02\u00a0: quatre images',
  comparison: 'Comparaison',
  syncScroll: 'Synchroniser le défilement',
  linkWl: 'Lier le fenêtrage',
  priors: 'Examens antérieurs',
  priorsEmpty: 'Aucun autre examen de ce patient.',
  priorOpen: 'Comparer',
  priorOpenLabel: 'Comparer avec «\u00a0{title}\u00a0» du {date}',
  priorLoading: 'Chargement…',
  priorFailed: 'Cet examen n’a pas pu être chargé.',
  viewportN: 'Image, vue {n}',
} as const;

export type MessageKey = keyof typeof fr;
type Messages = Record<MessageKey, string>;

const en: Messages = {
  viewerLabel: 'Image viewer',
  loading: 'Loading the exam…',
  unauthorized: 'Access denied: your session has expired or this link is no longer valid.',
  forbidden: 'Access denied: you are not allowed to view this exam.',
  notFound: 'Exam not found.',
  noImages: 'This exam contains no displayable image.',
  network: 'Network error: the exam could not be loaded.',
  retry: 'Retry',
  frameError: 'Unreadable image',
  frameErrorDetail: 'Unreadable image: {reason} (series “{desc}”, image {i}/{n}).',
  reasonPalette: 'its colour lookup tables are missing',
  reasonPhotometric: 'its colour encoding is not supported',
  reasonDecode: 'its data could not be decoded',
  reasonNetwork: 'it could not be downloaded',
  series: 'Series',
  seriesLabel: 'Series {n}: {desc}, {count} images',
  image: 'Image',
  imageOf: 'Im {i}/{n}',
  wl: 'W/L {w}/{l}',
  zoomValue: 'Zoom {z} %',
  tools: 'Tools',
  wwwc: 'Window/level',
  zoom: 'Zoom',
  pan: 'Pan',
  length: 'Length measurement',
  fit: 'Fit',
  reset: 'Reset',
  invert: 'Invert',
  rotate: 'Rotate',
  flipH: 'Flip horizontally',
  flipV: 'Flip vertically',
  presets: 'Window presets',
  presetFile: 'File VOI',
  presetSoft: 'Soft tissue',
  presetLung: 'Lung',
  presetBone: 'Bone',
  presetBrain: 'Brain',
  play: 'Play',
  pause: 'Pause',
  fps: 'Frames per second',
  overlays: 'Overlays',
  fullscreen: 'Full screen',
  help: 'Help',
  close: 'Close',
  helpTitle: 'Keyboard shortcuts',
  kScroll: 'Previous / next image',
  kPage: 'Back / forward 10 images',
  kHomeEnd: 'First / last image',
  kWheel: 'Wheel: change image; right button: zoom; middle button: pan',
  kTools: 'Tools: window/level, zoom, pan, measure',
  kPresets: 'CT presets (soft tissue, lung, bone, brain); 0: file VOI',
  kFit: 'Fit to window',
  kReset: 'Reset',
  kInvert: 'Invert',
  kRotate: 'Rotate 90°',
  kFlip: 'Flip horizontally / vertically',
  kCine: 'Play / pause',
  kOverlay: 'Show / hide overlays',
  kFullscreen: 'Full screen',
  kSeries: 'Next / previous series',
  kHelp: 'Show this help',
  kTouch: 'On touch screens: pinch to zoom, drag with two fingers to pan',
  loadingSeries: 'Loading {done}/{total}',
  layout: 'Layout',
  layout1x1: 'Layout 1 × 1: one image',
  layout1x2: 'Layout 1 × 2: two images side by side',
  layout2x2: 'Layout 2 × 2: four images',
  comparison: 'Comparison',
  syncScroll: 'Synchronise scrolling',
  linkWl: 'Link window/level',
  priors: 'Other exams',
  priorsEmpty: 'No other exam of this patient.',
  priorOpen: 'Compare',
  priorOpenLabel: 'Compare with “{title}” of {date}',
  priorLoading: 'Loading…',
  priorFailed: 'This exam could not be loaded.',
  viewportN: 'Image, view {n}',
};

const dictionaries: Record<Locale, Messages> = { fr, en };

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

export function createTranslator(locale: Locale | undefined): Translate {
  const messages = dictionaries[locale === 'en' ? 'en' : 'fr'];
  return (key, params) =>
    messages[key].replace(/\{(\w+)\}/g, (whole, name: string) =>
      params && name in params ? String(params[name]) : whole,
    );
}

const MONTHS: Record<Locale, readonly string[]> = {
  fr: ['janv.', 'févr.', 'mars', 'avr.', 'mai', 'juin', 'juil.', 'août', 'sept.', 'oct.', 'nov.', 'déc.'],
  en: ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'],
};

/**
 * DICOM DA (YYYYMMDD) with the month in words, « 12 mars 1961 » / "12 Mar 1961", as the shell
 * writes dates: 03/12/1961 is read as two different days in French and in English (issue 19).
 * Written without Intl, whose first date format on a page costs 20–27 ms of main thread (ICU
 * data). Unparseable values are shown as received.
 */
export function formatDicomDate(value: string | undefined, locale: Locale | undefined): string {
  if (!value) return '';
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(value.trim());
  if (!m) return value;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return `${date.getUTCDate()} ${MONTHS[locale === 'en' ? 'en' : 'fr'][date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}

/** DICOM PN "FAMILY^Given^Middle^Prefix^Suffix" as "FAMILY Given Middle". */
export function formatPersonName(value: string | undefined): string {
  if (!value) return '';
  const [family = '', given = '', middle = '', prefix = '', suffix = ''] = value.split('^');
  return [prefix, family, given, middle, suffix].filter((p) => p.trim()).join(' ');
}
