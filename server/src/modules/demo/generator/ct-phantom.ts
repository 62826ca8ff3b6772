/**
 * A synthetic CT series rendered from a 3D ellipsoid phantom in Hounsfield units.
 *
 * Each slice is rendered row by row: for a given z and row y an ellipsoid (rotated about z only)
 * covers one interval of x, found by solving a quadratic, so a 512×512 slice costs a few
 * thousand interval fills instead of 262 144 × shapes point tests. That keeps 64 slices well
 * under a second.
 */
import { el, formatDs, dicomDate, dicomTime, newUid, uidFromName, writePart10, type DicomElement } from './dicom-writer.js';
import { SopClass, T } from './dicom-tags.js';
import { createPrng, hashSeed } from './prng.js';
import { studyContextElements, type GeneratedInstance, type StudyContext } from './study-context.js';

/** An ellipsoid in patient coordinates (mm): x to the patient's left, y posterior, z superior. */
export interface Ellipsoid {
  readonly cx: number;
  readonly cy: number;
  readonly cz: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  /** Rotation about z, degrees. */
  readonly phi?: number;
  readonly hu: number;
}

export type PhantomName = 'thorax' | 'head';

export const HU = { air: -1000, lung: -850, fat: -90, water: 0, csf: 8, brain: 35, softTissue: 45, liver: 60, contrast: 190, bone: 700, cortical: 1000 } as const;

function thorax(): Ellipsoid[] {
  const shapes: Ellipsoid[] = [
    { cx: 0, cy: 0, cz: 0, a: 165, b: 115, c: 600, hu: HU.fat },
    { cx: 0, cy: 2, cz: 0, a: 150, b: 100, c: 600, hu: HU.softTissue },
    { cx: -72, cy: 2, cz: 15, a: 62, b: 80, c: 175, hu: HU.lung },
    { cx: 74, cy: 6, cz: 15, a: 58, b: 76, c: 165, hu: HU.lung },
    { cx: 4, cy: -8, cz: 40, a: 28, b: 62, c: 110, hu: HU.softTissue },
    { cx: 28, cy: -22, cz: -55, a: 62, b: 50, c: 62, phi: -30, hu: HU.softTissue },
    { cx: 32, cy: -24, cz: -55, a: 30, b: 24, c: 40, phi: -30, hu: HU.contrast },
    { cx: 8, cy: -18, cz: 35, a: 15, b: 15, c: 45, hu: HU.contrast },
    { cx: 20, cy: 52, cz: -10, a: 12, b: 12, c: 170, hu: HU.contrast },
    { cx: 0, cy: -6, cz: 95, a: 9, b: 9, c: 90, hu: HU.air },
    { cx: 0, cy: -100, cz: 15, a: 16, b: 6, c: 95, hu: 500 },
    { cx: -45, cy: 5, cz: -185, a: 110, b: 92, c: 75, hu: HU.liver },
    { cx: 62, cy: -12, cz: -160, a: 34, b: 28, c: 22, hu: -920 },
    // The finding described in the demo report: a 16 mm nodule of the right upper lobe.
    { cx: -62, cy: -22, cz: 55, a: 8, b: 8, c: 8, hu: 35 },
  ];
  // Vertebrae every 26 mm with discs between them, so the spine changes from slice to slice.
  for (let z = -190; z <= 170; z += 26) {
    shapes.push({ cx: 0, cy: 76, cz: z, a: 18, b: 16, c: 11, hu: HU.bone });
    shapes.push({ cx: 0, cy: 100, cz: z + 4, a: 24, b: 9, c: 10, hu: 600 });
  }
  shapes.push({ cx: 0, cy: 93, cz: 0, a: 7, b: 7, c: 400, hu: 15 });
  // Ribs run down and forward: each one is a chain of small ellipsoids along the chest wall.
  for (let z = 165; z >= -170; z -= 24) {
    for (const side of [-1, 1]) {
      for (let k = 0; k <= 8; k++) {
        const angle = (Math.PI / 2) * (1 - k / 4); // posterior (+y) to anterior (−y)
        shapes.push({
          cx: side * 143 * Math.cos(angle) * 0.97,
          cy: 94 * Math.sin(angle) * 0.97,
          cz: z - k * 6,
          a: 6, b: 6, c: 7,
          hu: HU.bone,
        });
      }
    }
  }
  return shapes;
}

/**
 * The 3D Shepp–Logan head (Kak & Slaney geometry, unit radius scaled to 110 mm, rotations about z
 * only) with each ellipsoid given a plausible tissue value instead of additive intensities.
 */
function head(): Ellipsoid[] {
  const s = 110;
  const rows: readonly [number, number, number, number, number, number, number, number][] = [
    // hu, a, b, c, x0, y0, z0, phi
    [HU.cortical, 0.69, 0.92, 0.81, 0, 0, 0, 0],
    [HU.brain, 0.6624, 0.874, 0.78, 0, -0.0184, 0, 0],
    [HU.csf, 0.11, 0.31, 0.22, 0.22, 0, 0, -18],
    [HU.csf, 0.16, 0.41, 0.28, -0.22, 0, 0, 18],
    [48, 0.21, 0.25, 0.41, 0, 0.35, -0.15, 0],
    [60, 0.046, 0.046, 0.05, 0, 0.1, 0.25, 0],
    [60, 0.046, 0.046, 0.05, 0, -0.1, 0.25, 0],
    [55, 0.046, 0.023, 0.05, -0.08, -0.605, 0, 0],
    [55, 0.023, 0.023, 0.02, 0, -0.606, 0, 0],
    [55, 0.023, 0.046, 0.02, 0.06, -0.605, 0, 0],
  ];
  // Shepp–Logan's y axis points up on screen, i.e. anterior: flip it into DICOM's posterior +y.
  return rows.map(([hu, a, b, c, x0, y0, z0, phi]) => ({
    hu, a: a * s, b: b * s, c: c * s, cx: x0 * s, cy: -y0 * s, cz: z0 * s, phi: -phi,
  }));
}

export const PHANTOMS: Record<PhantomName, () => Ellipsoid[]> = { thorax, head };

interface Geometry {
  readonly size: number;
  /** Reconstruction field of view, mm. */
  readonly fov: number;
}

/**
 * One axial slice at height z, in HU, row-major, rows running anterior to posterior and columns
 * from the patient's right to left (the radiological convention of HFS axial images).
 */
export function renderSliceHu(shapes: readonly Ellipsoid[], z: number, g: Geometry, out = new Int16Array(g.size * g.size)): Int16Array {
  const { size, fov } = g;
  const spacing = fov / size;
  const half = fov / 2;
  out.fill(HU.air);
  for (const e of shapes) {
    const dz = (z - e.cz) / e.c;
    const k = 1 - dz * dz;
    if (k <= 0) continue;
    const phi = ((e.phi ?? 0) * Math.PI) / 180;
    const cos = Math.cos(phi);
    const sin = Math.sin(phi);
    const ia2 = 1 / (e.a * e.a);
    const ib2 = 1 / (e.b * e.b);
    const A = cos * cos * ia2 + sin * sin * ib2;
    const Bk = 2 * cos * sin * (ia2 - ib2);
    const Ck = sin * sin * ia2 + cos * cos * ib2;
    const rowMin = Math.max(0, Math.floor((e.cy - Math.max(e.a, e.b) + half) / spacing - 1));
    const rowMax = Math.min(size - 1, Math.ceil((e.cy + Math.max(e.a, e.b) + half) / spacing + 1));
    for (let row = rowMin; row <= rowMax; row++) {
      const dy = -half + (row + 0.5) * spacing - e.cy;
      const B = Bk * dy;
      const C = Ck * dy * dy - k;
      const disc = B * B - 4 * A * C;
      if (disc < 0) continue;
      const root = Math.sqrt(disc);
      const x1 = e.cx + (-B - root) / (2 * A);
      const x2 = e.cx + (-B + root) / (2 * A);
      const c1 = Math.max(0, Math.ceil((x1 + half) / spacing - 0.5));
      const c2 = Math.min(size - 1, Math.floor((x2 + half) / spacing - 0.5));
      if (c2 >= c1) out.fill(e.hu, row * size + c1, row * size + c2 + 1);
    }
  }
  return out;
}

export interface CtSeriesOptions {
  readonly context: StudyContext;
  readonly phantom?: PhantomName;
  readonly slices?: number;
  /** Rows and columns. */
  readonly size?: number;
  /** Slice thickness and spacing, mm. */
  readonly sliceThickness?: number;
  readonly fov?: number;
  readonly seed?: number;
  readonly seriesNumber?: number;
  readonly seriesDescription?: string;
  /**
   * When set, every UID of the series derives from it, so generating again yields the same
   * instances (idempotent seeding); otherwise UIDs are random.
   */
  readonly uidNamespace?: string;
}

export const CT_RESCALE_INTERCEPT = -1024;
/** Stored value outside the reconstruction circle, as GE scanners write it. */
export const CT_PIXEL_PADDING = -2000;

const DEFAULTS: Record<PhantomName, { slices: number; size: number; sliceThickness: number; fov: number; zCenter: number; description: string; bodyPart: string; windows: [number[], number[], string[]]; kernel: string }> = {
  thorax: {
    slices: 64, size: 512, sliceThickness: 5, fov: 400, zCenter: -7.5,
    description: 'THORAX AVEC INJECTION 5 mm', bodyPart: 'CHEST',
    windows: [[40, -600], [400, 1500], ['MEDIASTIN', 'POUMON']], kernel: 'STANDARD',
  },
  head: {
    slices: 32, size: 256, sliceThickness: 5, fov: 250, zCenter: 0,
    description: 'CRANE SANS INJECTION 5 mm', bodyPart: 'HEAD',
    windows: [[40, 600], [80, 2800], ['CERVEAU', 'OS']], kernel: 'SOFT',
  },
};

/** Lazily yields one Part 10 CT Image Storage instance per slice, superior to inferior. */
export function* generateCtSeries(options: CtSeriesOptions): Generator<GeneratedInstance> {
  const phantom = options.phantom ?? 'thorax';
  const d = DEFAULTS[phantom];
  const slices = options.slices ?? d.slices;
  const size = options.size ?? d.size;
  const thickness = options.sliceThickness ?? d.sliceThickness;
  const fov = options.fov ?? d.fov;
  const spacing = fov / size;
  const ns = options.uidNamespace;
  const uid = (what: string): string => (ns === undefined ? newUid() : uidFromName(`${ns}/${what}`));
  const seriesInstanceUid = uid('series');
  const frameOfReferenceUid = uid('frame-of-reference');
  const studyInstanceUid = options.context.study.studyInstanceUid;
  const shapes = PHANTOMS[phantom]();
  const prng = createPrng(options.seed ?? hashSeed('ct', phantom));
  const seriesTime = new Date(options.context.study.date.getTime() + 4 * 60_000);
  const common: DicomElement[] = [
    ...studyContextElements(options.context),
    el(T.ImageType, 'CS', ['ORIGINAL', 'PRIMARY', 'AXIAL']),
    el(T.SOPClassUID, 'UI', SopClass.CtImage),
    el(T.SeriesDate, 'DA', dicomDate(seriesTime)),
    el(T.SeriesTime, 'TM', dicomTime(seriesTime)),
    el(T.AcquisitionDate, 'DA', dicomDate(seriesTime)),
    el(T.ContentDate, 'DA', dicomDate(seriesTime)),
    el(T.AcquisitionTime, 'TM', dicomTime(seriesTime)),
    el(T.ContentTime, 'TM', dicomTime(seriesTime)),
    el(T.Modality, 'CS', 'CT'),
    el(T.Manufacturer, 'LO', 'e-mage'),
    el(T.ManufacturerModelName, 'LO', 'Fantôme numérique'),
    el(T.SoftwareVersions, 'LO', 'demo-generator 1'),
    el(T.SeriesDescription, 'LO', options.seriesDescription ?? d.description),
    el(T.BodyPartExamined, 'CS', d.bodyPart),
    el(T.SliceThickness, 'DS', thickness),
    el(T.SpacingBetweenSlices, 'DS', thickness),
    el(T.KVP, 'DS', 120),
    el(T.DataCollectionDiameter, 'DS', 500),
    el(T.ReconstructionDiameter, 'DS', fov),
    el(T.XRayTubeCurrent, 'IS', 220),
    el(T.ExposureTime, 'IS', 800),
    el(T.ConvolutionKernel, 'SH', d.kernel),
    el(T.PatientPosition, 'CS', 'HFS'),
    el(T.SeriesInstanceUID, 'UI', seriesInstanceUid),
    el(T.SeriesNumber, 'IS', options.seriesNumber ?? 2),
    el(T.AcquisitionNumber, 'IS', 1),
    el(T.ImageOrientationPatient, 'DS', [1, 0, 0, 0, 1, 0]),
    el(T.FrameOfReferenceUID, 'UI', frameOfReferenceUid),
    el(T.PositionReferenceIndicator, 'LO', null),
    el(T.SamplesPerPixel, 'US', 1),
    el(T.PhotometricInterpretation, 'CS', 'MONOCHROME2'),
    el(T.Rows, 'US', size),
    el(T.Columns, 'US', size),
    el(T.PixelSpacing, 'DS', [spacing, spacing]),
    el(T.BitsAllocated, 'US', 16),
    el(T.BitsStored, 'US', 16),
    el(T.HighBit, 'US', 15),
    el(T.PixelRepresentation, 'US', 1),
    el(T.PixelPaddingValue, 'SS', CT_PIXEL_PADDING),
    el(T.BurnedInAnnotation, 'CS', 'NO'),
    el(T.WindowCenter, 'DS', d.windows[0]),
    el(T.WindowWidth, 'DS', d.windows[1]),
    el(T.WindowCenterWidthExplanation, 'LO', d.windows[2]),
    el(T.RescaleIntercept, 'DS', CT_RESCALE_INTERCEPT),
    el(T.RescaleSlope, 'DS', 1),
    el(T.RescaleType, 'LO', 'HU'),
    el(T.LossyImageCompression, 'CS', '00'),
  ];
  // Outside the reconstruction circle a scanner has no data: those pixels hold the padding value.
  const spanStart = new Int32Array(size);
  const spanEnd = new Int32Array(size);
  for (let row = 0; row < size; row++) {
    const dy = row + 0.5 - size / 2;
    const halfChord = Math.sqrt(Math.max(0, (size / 2) ** 2 - dy * dy));
    spanStart[row] = Math.ceil(size / 2 - halfChord - 0.5);
    spanEnd[row] = Math.floor(size / 2 + halfChord - 0.5);
  }
  const hu = new Int16Array(size * size);
  let noise = prng.nextUint32() | 1;
  const x0 = -fov / 2 + spacing / 2;
  for (let i = 0; i < slices; i++) {
    const z = d.zCenter + ((slices - 1) * thickness) / 2 - i * thickness;
    renderSliceHu(shapes, z, { size, fov }, hu);
    const stored = new Int16Array(size * size).fill(CT_PIXEL_PADDING);
    for (let row = 0; row < size; row++) {
      const end = row * size + (spanEnd[row] ?? -1);
      for (let p = row * size + (spanStart[row] ?? 0); p <= end; p++) {
        // Triangular noise of about ±12 HU, as quantum noise makes a phantom look like a scan.
        // xorshift32 inline, seeded from the series PRNG: a call per pixel would dominate.
        noise ^= noise << 13;
        noise ^= noise >>> 17;
        noise ^= noise << 5;
        stored[p] = (hu[p] as number) - CT_RESCALE_INTERCEPT + ((((noise & 0xff) + ((noise >>> 8) & 0xff) - 255) * 3) >> 6);
      }
    }
    const sopInstanceUid = uid(`slice/${i + 1}`);
    const dataset: DicomElement[] = [
      ...common,
      el(T.SOPInstanceUID, 'UI', sopInstanceUid),
      el(T.InstanceNumber, 'IS', i + 1),
      el(T.ImagePositionPatient, 'DS', [x0, x0, z].map((v) => Number(formatDs(v)))),
      el(T.SliceLocation, 'DS', z),
      el(T.PixelData, 'OW', stored),
    ];
    yield { sopClassUid: SopClass.CtImage, sopInstanceUid, seriesInstanceUid, studyInstanceUid, data: writePart10(dataset) };
  }
}
