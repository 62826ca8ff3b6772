/**
 * A synthetic ultrasound cine loop (one Ultrasound Multi-frame Image instance): a convex-probe
 * sector over a neck scene — thyroid lobe with a nodule, a carotid artery that pulses with the
 * heart beat, a jugular vein that breathes — textured with speckle that follows the tissue, so
 * consecutive frames differ the way a real clip does.
 */
import { dicomDate, dicomTime, el, newUid, uidFromName, writePart10, type DicomElement } from './dicom-writer.js';
import { SopClass, T } from './dicom-tags.js';
import { createPrng, hashSeed } from './prng.js';
import { studyContextElements, type GeneratedInstance, type StudyContext } from './study-context.js';

export interface UsCineOptions {
  readonly context: StudyContext;
  readonly frames?: number;
  readonly rows?: number;
  readonly columns?: number;
  /** Milliseconds between frames. */
  readonly frameTimeMs?: number;
  readonly seed?: number;
  readonly seriesNumber?: number;
  readonly seriesDescription?: string;
  /** See CtSeriesOptions.uidNamespace. */
  readonly uidNamespace?: string;
}

/** Millimetres per pixel in both directions, also written in the ultrasound region. */
export const US_MM_PER_PIXEL = 0.1;
const HEART_PERIOD_MS = 830;
const BREATH_PERIOD_MS = 3200;
/** Speckle texture size (radial × angular samples): powers of two so indices wrap with a mask. */
const SPECKLE_R = 512;
const SPECKLE_A = 512;

interface Sector {
  readonly apexX: number;
  readonly apexY: number;
  readonly rMin: number;
  readonly rMax: number;
  readonly halfAngle: number;
}

function sectorFor(rows: number, columns: number): Sector {
  return { apexX: columns / 2, apexY: -rows / 8, rMin: rows / 8 + 12, rMax: rows * 1.02, halfAngle: (36 * Math.PI) / 180 };
}

/** Math.hypot is several times slower in V8, and this runs per pixel. */
function dist(dx: number, dy: number): number {
  return Math.sqrt(dx * dx + dy * dy);
}

/** Scene layout in a 640×480 reference frame, scaled to the requested size. */
const CAROTID = { x: 215, y: 290, r: 52, wall: 7 } as const;
const JUGULAR = { x: 262, y: 192, a: 58, b: 22 } as const;

/** Echogenicity (0 = anechoic, ~1 = bright) of what does not move: everything but the vessels. */
function staticEchogenicity(x: number, y: number, depth: number): number {
  if (depth < 14) return 0.95; // skin and gel interface
  if (depth < 55) return 0.42;
  // Sternocleidomastoid muscle: a darker band over the vessels.
  const mx = (x - 210) / 190;
  const my = (y - 150) / 32;
  if (mx * mx + my * my < 1) return 0.3;
  // Thyroid lobe with a hypoechoic nodule and its halo.
  const tx = (x - 420) / 165;
  const ty = (y - 250) / 95;
  if (tx * tx + ty * ty < 1) {
    const nr = dist(x - 450, y - 245);
    if (nr < 34) return 0.22;
    if (nr < 39) return 0.06;
    return 0.85;
  }
  return 0.5;
}

/** The vessels' echogenicity at time t (ms), or −1 where they are not. */
function vesselEchogenicity(x: number, y: number, t: number): number {
  const pulse = Math.max(0, Math.sin((2 * Math.PI * t) / HEART_PERIOD_MS)) ** 2;
  const breath = 0.5 + 0.5 * Math.sin((2 * Math.PI * t) / BREATH_PERIOD_MS);
  // Carotid artery: the lumen dilates in systole; bright intima-media wall.
  const cr = dist(x - CAROTID.x, y - CAROTID.y);
  const lumen = CAROTID.r + 6 * pulse;
  if (cr < lumen) return 0.02;
  if (cr < lumen + CAROTID.wall) return 1.25;
  // Internal jugular vein: flattens and fills with the breathing cycle.
  const jx = (x - JUGULAR.x) / JUGULAR.a;
  const jy = (y - JUGULAR.y) / (JUGULAR.b * (0.6 + 0.8 * breath));
  if (jx * jx + jy * jy < 1) return 0.03;
  return -1;
}

function nearVessels(x: number, y: number): boolean {
  const reach = CAROTID.r + CAROTID.wall + 8;
  if (dist(x - CAROTID.x, y - CAROTID.y) < reach) return true;
  return Math.abs(x - JUGULAR.x) < JUGULAR.a + 2 && Math.abs(y - JUGULAR.y) < JUGULAR.b * 1.4 + 2;
}

const LUT_SCALE = 1024;
/** Log compression, as a scanner maps a large dynamic range into 8 bits. */
const LOG_LUT = (() => {
  const lut = new Uint8Array(8 * LUT_SCALE);
  for (let i = 0; i < lut.length; i++) lut[i] = Math.min(255, Math.round((255 * Math.log1p((6 * i) / LUT_SCALE)) / Math.log1p(9)));
  return lut;
})();

/** Frames of 8-bit MONOCHROME2 pixels, frame after frame, row-major. */
export function renderUsFrames(frames: number, rows: number, columns: number, frameTimeMs: number, seed: number): Uint8Array {
  const prng = createPrng(seed);
  const s = sectorFor(rows, columns);
  const speckle = new Float32Array(SPECKLE_R * SPECKLE_A);
  for (let i = 0; i < speckle.length; i++) {
    // Rayleigh amplitude: the envelope of summed random scatterers.
    speckle[i] = 0.8 * Math.sqrt(-2 * Math.log(1 - prng.next()));
  }
  // Everything that does not change between frames is computed once per pixel.
  const sx = 640 / columns;
  const sy = 480 / rows;
  let count = 0;
  const capacity = rows * columns;
  const pixelIndex = new Int32Array(capacity);
  const radius = new Float32Array(capacity);
  const angleIndex = new Int32Array(capacity);
  const gain = new Float32Array(capacity);
  const echo = new Float32Array(capacity);
  const vessel = new Uint8Array(capacity);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < columns; x++) {
      const r = dist(x - s.apexX, y - s.apexY);
      const a = Math.atan2(x - s.apexX, y - s.apexY);
      if (r < s.rMin || r > s.rMax || Math.abs(a) > s.halfAngle) continue;
      const rx = x * sx;
      const ry = y * sy;
      pixelIndex[count] = y * columns + x;
      radius[count] = r;
      // Speckle cells are wider than deep: sample the texture more coarsely across the beam.
      angleIndex[count] = Math.floor((a + s.halfAngle) * 180) & (SPECKLE_A - 1);
      gain[count] = 1 - 0.45 * ((r - s.rMin) / (s.rMax - s.rMin));
      echo[count] = staticEchogenicity(rx, ry, (r - s.rMin) * sy);
      vessel[count] = nearVessels(rx, ry) ? 1 : 0;
      count++;
    }
  }
  const n = rows * columns;
  const out = new Uint8Array(frames * n);
  const lutMax = LOG_LUT.length - 1;
  let noise = prng.nextUint32() | 1;
  for (let f = 0; f < frames; f++) {
    const t = f * frameTimeMs;
    // Tissue drifts with breathing and is pushed by the artery: the speckle moves with it.
    const shift = 3 * Math.sin((2 * Math.PI * t) / BREATH_PERIOD_MS) + 1.5 * Math.max(0, Math.sin((2 * Math.PI * t) / HEART_PERIOD_MS));
    const base = f * n;
    for (let i = 0; i < count; i++) {
      const p = pixelIndex[i] as number;
      let e = echo[i] as number;
      if (vessel[i] === 1) {
        const x = p % columns;
        const v = vesselEchogenicity(x * sx, ((p - x) / columns) * sy, t);
        if (v >= 0) e = v;
      }
      const ri = Math.floor(((radius[i] as number) + shift) * 0.9) & (SPECKLE_R - 1);
      const grain = speckle[ri * SPECKLE_A + (angleIndex[i] as number)] as number;
      // xorshift32 inline: a function call per pixel would double the cost of the loop.
      noise ^= noise << 13;
      noise ^= noise >>> 17;
      noise ^= noise << 5;
      const electronic = (noise & 0xff) / 1020;
      const amplitude = e * (gain[i] as number) * (grain + electronic);
      const k = (amplitude * LUT_SCALE) | 0;
      out[base + p] = LOG_LUT[k > lutMax ? lutMax : k] as number;
    }
  }
  return out;
}

export function generateUsCine(options: UsCineOptions): GeneratedInstance {
  const frames = options.frames ?? 48;
  const rows = options.rows ?? 480;
  const columns = options.columns ?? 640;
  const frameTimeMs = options.frameTimeMs ?? 40;
  const ns = options.uidNamespace;
  const uid = (what: string): string => (ns === undefined ? newUid() : uidFromName(`${ns}/${what}`));
  const seriesInstanceUid = uid('series');
  const sopInstanceUid = uid('instance');
  const studyInstanceUid = options.context.study.studyInstanceUid;
  const acquired = new Date(options.context.study.date.getTime() + 3 * 60_000);
  const s = sectorFor(rows, columns);
  const pixels = renderUsFrames(frames, rows, columns, frameTimeMs, options.seed ?? hashSeed('us'));
  const fps = Math.round(1000 / frameTimeMs);
  const region: DicomElement[] = [
    el(T.RegionSpatialFormat, 'US', 1), // 2D
    el(T.RegionDataType, 'US', 1), // tissue
    el(T.RegionFlags, 'UL', 0),
    el(T.RegionLocationMinX0, 'UL', Math.max(0, Math.floor(s.apexX - s.rMax * Math.sin(s.halfAngle)))),
    el(T.RegionLocationMinY0, 'UL', 0),
    el(T.RegionLocationMaxX1, 'UL', Math.min(columns - 1, Math.ceil(s.apexX + s.rMax * Math.sin(s.halfAngle)))),
    el(T.RegionLocationMaxY1, 'UL', rows - 1),
    el(T.PhysicalUnitsXDirection, 'US', 3), // cm
    el(T.PhysicalUnitsYDirection, 'US', 3),
    el(T.PhysicalDeltaX, 'FD', US_MM_PER_PIXEL / 10),
    el(T.PhysicalDeltaY, 'FD', US_MM_PER_PIXEL / 10),
  ];
  const dataset: DicomElement[] = [
    ...studyContextElements(options.context),
    el(T.ImageType, 'CS', ['ORIGINAL', 'PRIMARY']),
    el(T.SOPClassUID, 'UI', SopClass.UsMultiframeImage),
    el(T.SOPInstanceUID, 'UI', sopInstanceUid),
    el(T.SeriesDate, 'DA', dicomDate(acquired)),
    el(T.SeriesTime, 'TM', dicomTime(acquired)),
    el(T.ContentDate, 'DA', dicomDate(acquired)),
    el(T.ContentTime, 'TM', dicomTime(acquired)),
    el(T.AcquisitionDateTime, 'DT', `${dicomDate(acquired)}${dicomTime(acquired)}`),
    el(T.Modality, 'CS', 'US'),
    el(T.Manufacturer, 'LO', 'e-mage'),
    el(T.ManufacturerModelName, 'LO', 'Échographe numérique'),
    el(T.SeriesDescription, 'LO', options.seriesDescription ?? 'Cou — boucle ciné'),
    el(T.RecommendedDisplayFrameRate, 'IS', fps),
    el(T.BodyPartExamined, 'CS', 'NECK'),
    el(T.CineRate, 'IS', fps),
    el(T.FrameTime, 'DS', frameTimeMs),
    el(T.ActualFrameDuration, 'IS', frameTimeMs),
    el(T.SequenceOfUltrasoundRegions, 'SQ', [region]),
    el(T.TransducerFrequency, 'UL', 12000),
    el(T.SeriesInstanceUID, 'UI', seriesInstanceUid),
    el(T.SeriesNumber, 'IS', options.seriesNumber ?? 1),
    el(T.InstanceNumber, 'IS', 1),
    el(T.PatientOrientation, 'CS', null),
    el(T.SamplesPerPixel, 'US', 1),
    el(T.PhotometricInterpretation, 'CS', 'MONOCHROME2'),
    el(T.NumberOfFrames, 'IS', frames),
    el(T.FrameIncrementPointer, 'AT', T.FrameTime),
    el(T.Rows, 'US', rows),
    el(T.Columns, 'US', columns),
    el(T.BitsAllocated, 'US', 8),
    el(T.BitsStored, 'US', 8),
    el(T.HighBit, 'US', 7),
    el(T.PixelRepresentation, 'US', 0),
    el(T.BurnedInAnnotation, 'CS', 'NO'),
    el(T.LossyImageCompression, 'CS', '00'),
    el(T.PixelData, 'OB', pixels),
  ];
  return { sopClassUid: SopClass.UsMultiframeImage, sopInstanceUid, seriesInstanceUid, studyInstanceUid, data: writePart10(dataset) };
}
