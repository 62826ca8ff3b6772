import { getNumber, getNumbers, getString, Tag, type DicomJson } from './dicomJson';

/** SOP classes that never carry displayable pixels even when a server sends odd attributes. */
const NON_IMAGE_SOP_CLASSES = new Set([
  '1.2.840.10008.5.1.4.1.1.104.1', // Encapsulated PDF
  '1.2.840.10008.5.1.4.1.1.104.2', // Encapsulated CDA
  '1.2.840.10008.5.1.4.1.1.104.3', // Encapsulated STL
]);

export interface SeriesInfo {
  seriesUid: string;
  description: string;
  modality: string;
  seriesNumber: number | undefined;
}

export interface Frame {
  imageId: string;
  instance: DicomJson;
}

export interface StackSeries extends SeriesInfo {
  frames: Frame[];
  /** Frames per second for cine, from FrameTime / CineRate when the file says so. */
  defaultFps: number;
  /** The first image-bearing instance, used for the corner overlays. */
  header: DicomJson;
}

export function readSeriesInfo(ds: DicomJson): SeriesInfo | undefined {
  const seriesUid = getString(ds, Tag.SeriesInstanceUID);
  if (!seriesUid) return undefined;
  return {
    seriesUid,
    description: getString(ds, Tag.SeriesDescription) ?? '',
    modality: getString(ds, Tag.Modality) ?? '',
    seriesNumber: getNumber(ds, Tag.SeriesNumber),
  };
}

export function isImageInstance(ds: DicomJson): boolean {
  const sopClass = getString(ds, Tag.SOPClassUID);
  if (sopClass && NON_IMAGE_SOP_CLASSES.has(sopClass)) return false;
  // Servers may omit PixelData from metadata (it is bulk data), so Rows and Columns decide.
  return (getNumber(ds, Tag.Rows) ?? 0) > 0 && (getNumber(ds, Tag.Columns) ?? 0) > 0;
}

/** Position along the slice normal, so slices sort head-to-feet whatever the numbering. */
function slicePosition(ds: DicomJson): number | undefined {
  const ipp = getNumbers(ds, Tag.ImagePositionPatient);
  const iop = getNumbers(ds, Tag.ImageOrientationPatient);
  if (!ipp || ipp.length !== 3 || !iop || iop.length !== 6) return undefined;
  const [r1, r2, r3, c1, c2, c3] = iop as [number, number, number, number, number, number];
  const n = [r2 * c3 - r3 * c2, r3 * c1 - r1 * c3, r1 * c2 - r2 * c1] as const;
  return (ipp[0] ?? 0) * n[0] + (ipp[1] ?? 0) * n[1] + (ipp[2] ?? 0) * n[2];
}

/**
 * Instances sort by InstanceNumber, which is what the modality meant as display order; when
 * numbers are missing or repeated, by position along the slice normal.
 */
export function sortInstances(instances: DicomJson[]): DicomJson[] {
  const numbers = instances.map((i) => getNumber(i, Tag.InstanceNumber));
  const usable = numbers.every((n) => n !== undefined) && new Set(numbers).size === numbers.length;
  const withKeys = instances.map((ds, index) => ({
    ds,
    index,
    num: getNumber(ds, Tag.InstanceNumber),
    pos: slicePosition(ds),
  }));
  withKeys.sort((a, b) => {
    if (usable) return (a.num ?? 0) - (b.num ?? 0);
    if (a.pos !== undefined && b.pos !== undefined && a.pos !== b.pos) return a.pos - b.pos;
    if (a.num !== undefined && b.num !== undefined && a.num !== b.num) return a.num - b.num;
    return a.index - b.index;
  });
  return withKeys.map((k) => k.ds);
}

function defaultFps(ds: DicomJson): number {
  const frameTime = getNumber(ds, Tag.FrameTime);
  if (frameTime && frameTime > 0) return clampFps(1000 / frameTime);
  const cine = getNumber(ds, Tag.CineRate) ?? getNumber(ds, Tag.RecommendedDisplayFrameRate);
  if (cine && cine > 0) return clampFps(cine);
  return 10;
}

export function clampFps(fps: number): number {
  return Math.min(60, Math.max(1, Math.round(fps)));
}

/**
 * The wado-image-loader's metadata provider calls string methods on Modality without checking
 * it exists, so an instance without it (seen in secondary captures) would throw during decode.
 */
function withModality(ds: DicomJson, seriesModality: string): DicomJson {
  if (getString(ds, Tag.Modality)) return ds;
  return { ...ds, [Tag.Modality]: { vr: 'CS', Value: [seriesModality || 'OT'] } };
}

export function buildStack(
  info: SeriesInfo,
  instances: DicomJson[],
  frameUrlBase: (sopInstanceUid: string) => string,
): StackSeries | undefined {
  const images = sortInstances(instances.filter(isImageInstance)).map((ds) => withModality(ds, info.modality));
  const frames: Frame[] = [];
  for (const instance of images) {
    const sop = getString(instance, Tag.SOPInstanceUID);
    if (!sop) continue;
    const count = Math.max(1, Math.floor(getNumber(instance, Tag.NumberOfFrames) ?? 1));
    for (let n = 1; n <= count; n++) {
      frames.push({ imageId: `wadors:${frameUrlBase(sop)}/frames/${n}`, instance });
    }
  }
  const header = images[0];
  if (!header || frames.length === 0) return undefined;
  return {
    ...info,
    description: info.description || getString(header, Tag.SeriesDescription) || '',
    modality: info.modality || getString(header, Tag.Modality) || '',
    frames,
    defaultFps: defaultFps(header),
    header,
  };
}
