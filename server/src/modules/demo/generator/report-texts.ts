/**
 * French radiology report bodies for the demo exams, keyed by exam title. Wording follows the
 * usual structure of French reports: indication, technique, résultats, conclusion.
 */
import type { ReportSection } from './pdf-report.js';

interface ReportText {
  readonly indication: string;
  readonly technique: string;
  readonly results: readonly string[];
  readonly conclusion: string;
}

const TEXTS: Readonly<Record<string, ReportText>> = {
  'ECHOGRAPHIE CERVICALE': {
    indication: 'Bilan d’un nodule thyroïdien palpé par le médecin traitant. Pas d’antécédent d’irradiation cervicale.',
    technique: 'Échographie cervicale en mode B et Doppler couleur, sonde linéaire haute fréquence 12 MHz. Boucle ciné de la loge thyroïdienne droite.',
    results: [
      'Thyroïde de taille normale, d’échostructure homogène. Lobe droit : 45 × 16 × 15 mm ; lobe gauche : 43 × 15 × 14 mm ; isthme de 3 mm.',
      'Nodule du tiers moyen du lobe droit, ovalaire, hypoéchogène, à contours réguliers, entouré d’un halo fin, mesurant 7 × 6 × 6 mm, sans microcalcification ni vascularisation centrale.',
      'Axes vasculaires carotidiens et jugulaires perméables. Pas d’adénopathie cervicale suspecte.',
    ],
    conclusion: 'Nodule thyroïdien droit de 7 mm, score EU-TIRADS 3. Contrôle échographique conseillé dans un an ; pas d’indication de cytoponction.',
  },
  'ECHOGRAPHIE THYROIDIENNE': {
    indication: 'Surveillance d’un nodule thyroïdien droit connu.',
    technique: 'Échographie thyroïdienne en mode B, sonde linéaire 12 MHz ; courte boucle ciné.',
    results: [
      'Le nodule du lobe droit est stable à 7 mm, d’aspect inchangé par rapport à l’examen précédent.',
      'Pas de nouveau nodule. Pas d’adénopathie.',
    ],
    conclusion: 'Stabilité du nodule thyroïdien droit EU-TIRADS 3. Surveillance à deux ans.',
  },
  'SCANNER THORACIQUE': {
    indication: 'Toux persistante depuis trois mois chez une patiente ancienne fumeuse (20 paquets-années).',
    technique: 'Acquisition hélicoïdale thoracique après injection intraveineuse de 80 mL de produit de contraste iodé, coupes de 5 mm. Produit dose-longueur : 245 mGy·cm.',
    results: [
      'Nodule solide du lobe supérieur droit, à contours réguliers, mesurant 16 mm de grand axe, sans calcification.',
      'Pas d’épanchement pleural ni péricardique. Cœur de taille normale. Aorte thoracique de calibre normal, sans dissection.',
      'Pas d’adénomégalie médiastinale ni hilaire. Rachis dorsal et grill costal sans lésion osseuse suspecte.',
    ],
    conclusion: 'Nodule pulmonaire solide de 16 mm du lobe supérieur droit, à caractériser : une TEP-TDM et un avis en réunion de concertation pluridisciplinaire sont proposés.',
  },
  'SCANNER CEREBRAL': {
    indication: 'Céphalées inhabituelles depuis deux semaines, examen neurologique normal.',
    technique: 'Acquisition cérébrale sans injection, coupes axiales de 5 mm, reconstructions en fenêtres parenchymateuse et osseuse.',
    results: [
      'Pas d’hémorragie intra- ou extra-axiale. Pas d’effet de masse. Ligne médiane en place.',
      'Système ventriculaire de taille et de morphologie normales. Petite plage spontanément discrètement hyperdense frontale, non spécifique, sans œdème périlésionnel.',
      'Pas de lésion osseuse de la voûte.',
    ],
    conclusion: 'Pas d’anomalie aiguë. Plage frontale non spécifique : une IRM cérébrale est proposée pour la caractériser.',
  },
  'Consultation Radio': {
    indication: 'Consultation de résultats à la demande du médecin traitant.',
    technique: 'Revue des examens antérieurs du centre et entretien avec la patiente.',
    results: ['Les résultats de l’échographie cervicale ont été expliqués à la patiente, qui a reçu une copie du compte rendu.'],
    conclusion: 'Surveillance échographique du nodule thyroïdien dans un an, comme proposé.',
  },
  'IRM GENOU DROIT': {
    indication: 'Douleur du compartiment médial du genou droit après une torsion au football.',
    technique: 'IRM 1,5 T, séquences sagittales et coronales DP avec saturation de graisse, axiales T2, sans injection.',
    results: [
      'Fissure horizontale de la corne postérieure du ménisque médial atteignant la surface articulaire inférieure.',
      'Ligaments croisés et collatéraux continus. Cartilage fémoro-tibial préservé. Épanchement articulaire de faible abondance.',
    ],
    conclusion: 'Lésion méniscale médiale horizontale de la corne postérieure. Avis orthopédique conseillé.',
  },
  'RADIOGRAPHIE DU THORAX': {
    indication: 'Fièvre et toux depuis cinq jours.',
    technique: 'Radiographie thoracique de face en inspiration.',
    results: ['Opacité alvéolaire de la base droite avec bronchogramme aérique. Culs-de-sac pleuraux libres. Silhouette cardiaque normale.'],
    conclusion: 'Aspect de pneumopathie de la base droite. Contrôle radiographique à distance du traitement.',
  },
  'MAMMOGRAPHIE BILATERALE': {
    indication: 'Dépistage organisé du cancer du sein.',
    technique: 'Mammographie bilatérale de face et oblique externe, complétée d’une échographie mammaire.',
    results: ['Seins de densité de type B. Pas de masse, pas de foyer de microcalcifications suspect, pas de distorsion architecturale.'],
    conclusion: 'Examen normal, ACR 1 bilatéral. Prochain dépistage dans deux ans.',
  },
  'ECHOGRAPHIE PELVIENNE': {
    indication: 'Douleurs pelviennes cycliques.',
    technique: 'Échographie pelvienne par voie sus-pubienne puis endovaginale.',
    results: [
      'Utérus antéversé de taille normale, endomètre de 8 mm d’aspect sécrétoire.',
      'Kyste fonctionnel de l’ovaire droit de 24 mm, anéchogène, à paroi fine. Ovaire gauche normal. Pas d’épanchement.',
    ],
    conclusion: 'Kyste fonctionnel de l’ovaire droit. Contrôle à trois mois en première partie de cycle.',
  },
  'SCANNER ABDOMINO-PELVIEN': {
    indication: 'Douleurs de la fosse iliaque gauche fébriles.',
    technique: 'Acquisition abdomino-pelvienne au temps portal après injection de produit de contraste iodé.',
    results: ['Épaississement pariétal du côlon sigmoïde sur 6 cm avec infiltration de la graisse péri-colique, diverticules. Pas d’abcès ni de pneumopéritoine.'],
    conclusion: 'Sigmoïdite diverticulaire non compliquée.',
  },
  'IRM CEREBRALE': {
    indication: 'Vertiges récidivants.',
    technique: 'IRM 3 T, séquences T1, T2 FLAIR, diffusion, T2*, 3D T1 après injection de gadolinium.',
    results: ['Quelques hypersignaux punctiformes de la substance blanche sous-corticale frontale, non spécifiques. Pas de lésion en diffusion. Angles ponto-cérébelleux libres.'],
    conclusion: 'Rares hypersignaux de la substance blanche d’allure microvasculaire. Pas de lésion de la fosse postérieure.',
  },
  'RADIOGRAPHIE DU GENOU GAUCHE': {
    indication: 'Gonalgie gauche mécanique.',
    technique: 'Radiographies du genou gauche de face en charge, profil et incidence fémoro-patellaire à 30°.',
    results: ['Pincement fémoro-tibial médial modéré avec ostéophytose marginale. Interligne fémoro-patellaire conservé.'],
    conclusion: 'Gonarthrose fémoro-tibiale médiale débutante.',
  },
  'ECHOGRAPHIE ABDOMINALE': {
    indication: 'Bilan de perturbations du bilan hépatique.',
    technique: 'Échographie abdominale complète à jeun.',
    results: ['Foie de taille normale, hyperéchogène de façon homogène, sans lésion focale. Vésicule alithiasique. Voies biliaires fines. Reins et rate normaux.'],
    conclusion: 'Stéatose hépatique homogène.',
  },
  'SCANNER DES SINUS': {
    indication: 'Sinusite maxillaire récidivante.',
    technique: 'Acquisition des sinus de la face sans injection, basse dose, reconstructions coronales et sagittales.',
    results: ['Comblement muqueux du sinus maxillaire gauche avec obstruction du complexe ostioméatal homolatéral. Autres cavités sinusiennes aérées. Septum dévié vers la droite.'],
    conclusion: 'Sinusite maxillaire gauche chronique sur obstruction ostioméatale.',
  },
  'IRM DU RACHIS LOMBAIRE': {
    indication: 'Lombo-radiculalgie L5 droite.',
    technique: 'IRM 1,5 T, séquences sagittales T1 et T2, STIR, axiales T2.',
    results: ['Hernie discale postéro-latérale droite L4-L5 au contact de la racine L5 droite. Discopathie dégénérative L5-S1 (Modic 1).'],
    conclusion: 'Hernie discale L4-L5 droite concordante avec la clinique.',
  },
};

export const REPORT_TITLES: readonly string[] = Object.keys(TEXTS);

export function reportSections(title: string): ReportSection[] {
  const t = TEXTS[title];
  if (!t) throw new RangeError(`no demo report text for "${title}"`);
  return [
    { heading: 'Indication', paragraphs: [t.indication] },
    { heading: 'Technique', paragraphs: [t.technique] },
    { heading: 'Résultats', paragraphs: t.results },
    { heading: 'Conclusion', paragraphs: [t.conclusion] },
  ];
}
