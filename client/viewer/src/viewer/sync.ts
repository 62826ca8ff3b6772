import { getNumbers, Tag, type DicomJson } from '../dicomweb/dicomJson';
import type { StackSeries } from '../dicomweb/studyModel';

type Vec3 = readonly [number, number, number];

/** Below this |cos| between two series' slice normals they are not parallel enough to match slices (≈ 25°). */
const PARALLEL_MIN_COS = 0.9;

const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

function normalOf(ds: DicomJson): Vec3 | undefined {
  const iop = getNumbers(ds, Tag.ImageOrientationPatient);
  if (!iop || iop.length !== 6) return undefined;
  const [r1, r2, r3, c1, c2, c3] = iop as [number, number, number, number, number, number];
  const n: Vec3 = [r2 * c3 - r3 * c2, r3 * c1 - r1 * c3, r1 * c2 - r2 * c1];
  const length = Math.hypot(...n);
  return length > 0 ? [n[0] / length, n[1] / length, n[2] / length] : undefined;
}

function positionOf(ds: DicomJson): Vec3 | undefined {
  const ipp = getNumbers(ds, Tag.ImagePositionPatient);
  return ipp && ipp.length === 3 ? (ipp as unknown as Vec3) : undefined;
}

/** A series' slice geometry: its normal and each frame's position in the patient (mm). */
export interface SliceGeometry {
  normal: Vec3;
  positions: Vec3[];
}

/**
 * The slice geometry of a stack whose every frame has a position and which has one orientation;
 * undefined otherwise (a multi-frame file whose frames share one instance's position, a scout,
 * a secondary capture): such a series is not scrolled by position.
 */
export function sliceGeometry(series: StackSeries): SliceGeometry | undefined {
  const normal = normalOf(series.header);
  if (!normal) return undefined;
  const positions: Vec3[] = [];
  let previous: DicomJson | undefined;
  for (const frame of series.frames) {
    // Frames of one multi-frame instance would all sit at its one position.
    if (frame.instance === previous) return undefined;
    previous = frame.instance;
    const p = positionOf(frame.instance);
    if (!p) return undefined;
    positions.push(p);
  }
  return positions.length > 0 ? { normal, positions } : undefined;
}

/**
 * The frame of `target` nearest to the slice at `position` (a point of the source slice, in
 * the patient's coordinates): every slice projected on the target's normal, the nearest wins,
 * past either end the end slice. Undefined when the two stacks are not (nearly) parallel.
 */
export function nearestSlice(target: SliceGeometry, sourceNormal: Vec3, position: Vec3): number | undefined {
  if (Math.abs(dot(target.normal, sourceNormal)) < PARALLEL_MIN_COS) return undefined;
  const d = dot(position, target.normal);
  let best = 0;
  let bestDistance = Infinity;
  target.positions.forEach((p, i) => {
    const distance = Math.abs(dot(p, target.normal) - d);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = i;
    }
  });
  return best;
}

/**
 * Slice geometries cached per series (the same StackSeries objects live as long as the viewer):
 * computing one walks every frame's metadata, which a scroll at 30 images/s would otherwise repeat.
 */
export class SliceIndex {
  private readonly cache = new WeakMap<StackSeries, SliceGeometry | null>();

  geometry(series: StackSeries): SliceGeometry | undefined {
    let g = this.cache.get(series);
    if (g === undefined) {
      g = sliceGeometry(series) ?? null;
      this.cache.set(series, g);
    }
    return g ?? undefined;
  }

  /** The frame of `target` at the position of frame `index` of `source`, or undefined (not comparable). */
  follow(source: StackSeries, index: number, target: StackSeries): number | undefined {
    const from = this.geometry(source);
    const to = this.geometry(target);
    const position = from?.positions[index];
    if (!from || !to || !position) return undefined;
    return nearestSlice(to, from.normal, position);
  }
}
