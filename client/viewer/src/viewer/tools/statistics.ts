/**
 * What the measurement tools show (issue 19, ADR 0132), computed here rather than by
 * cornerstone-tools so that the rule is ours, written once and tested against values computed
 * independently (test/statistics.spec.ts):
 * - values are the modality's (stored value × RescaleSlope + RescaleIntercept: Hounsfield units
 *   for CT);
 * - a pixel belongs to a region when its centre does (pixel (i, j) covers [i, i+1) × [j, j+1) in
 *   image coordinates, its centre is (i + ½, j + ½)); edges count as inside;
 * - the standard deviation is the population's (divided by N), as cornerstone-tools and most
 *   viewers give it;
 * - lengths, areas and angles are in millimetres and degrees from the pixel spacing (row and
 *   column spacing may differ), in pixels when the image has none.
 */

/** A frame's stored values and the modality transform that gives their meaning. */
export interface Raster {
  columns: number;
  rows: number;
  pixels: ArrayLike<number>;
  slope: number;
  intercept: number;
}

/** A region's bounding box in image coordinates (pixels, fractional). */
export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

export type Shape = 'ellipse' | 'rectangle';

export interface RegionStats {
  /** Pixels inside the region. */
  count: number;
  mean: number;
  stdDev: number;
  min: number;
  max: number;
}

export interface Point {
  x: number;
  y: number;
}

/** Millimetres between the centres of adjacent rows (`row`) and columns (`column`). */
export interface Spacing {
  row: number;
  column: number;
  /** PixelSpacing: in the patient; ImagerPixelSpacing: at the detector (projection radiography). */
  source: 'PixelSpacing' | 'ImagerPixelSpacing';
}

/** The box spanned by two corners dragged in any direction. */
export function boxOf(a: Point, b: Point): Box {
  return { left: Math.min(a.x, b.x), top: Math.min(a.y, b.y), width: Math.abs(a.x - b.x), height: Math.abs(a.y - b.y) };
}

function inside(shape: Shape, box: Box, cx: number, cy: number): boolean {
  if (shape === 'rectangle') return cx >= box.left && cx <= box.left + box.width && cy >= box.top && cy <= box.top + box.height;
  const a = box.width / 2;
  const b = box.height / 2;
  if (a === 0 || b === 0) return false;
  const dx = (cx - (box.left + a)) / a;
  const dy = (cy - (box.top + b)) / b;
  return dx * dx + dy * dy <= 1;
}

/** Statistics of the modality values inside the region; undefined when no pixel centre is in it. */
export function regionStats(raster: Raster, shape: Shape, box: Box): RegionStats | undefined {
  const i0 = Math.max(0, Math.floor(box.left));
  const j0 = Math.max(0, Math.floor(box.top));
  const i1 = Math.min(raster.columns - 1, Math.ceil(box.left + box.width));
  const j1 = Math.min(raster.rows - 1, Math.ceil(box.top + box.height));
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  const values: number[] = [];
  for (let j = j0; j <= j1; j++) {
    for (let i = i0; i <= i1; i++) {
      if (!inside(shape, box, i + 0.5, j + 0.5)) continue;
      const v = (raster.pixels[j * raster.columns + i] ?? 0) * raster.slope + raster.intercept;
      values.push(v);
      sum += v;
      count++;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (count === 0) return undefined;
  const mean = sum / count;
  // Two passes: the deviations from the mean, not the difference of two large sums.
  let squares = 0;
  for (const v of values) squares += (v - mean) * (v - mean);
  return { count, mean, stdDev: Math.sqrt(squares / count), min, max };
}

/** The modality value of the pixel under `p`, or undefined outside the image. */
export function probe(raster: Raster, p: Point): number | undefined {
  const i = Math.floor(p.x);
  const j = Math.floor(p.y);
  if (i < 0 || j < 0 || i >= raster.columns || j >= raster.rows) return undefined;
  return (raster.pixels[j * raster.columns + i] ?? 0) * raster.slope + raster.intercept;
}

/** The region's area: mm² with a spacing, else pixels². Geometric (π·a·b for an ellipse), not a pixel count. */
export function area(shape: Shape, box: Box, spacing: Spacing | undefined): number {
  const w = box.width * (spacing?.column ?? 1);
  const h = box.height * (spacing?.row ?? 1);
  return shape === 'ellipse' ? (Math.PI * w * h) / 4 : w * h;
}

/** The distance between two points: mm with a spacing, else pixels. */
export function length(a: Point, b: Point, spacing: Spacing | undefined): number {
  return Math.hypot((b.x - a.x) * (spacing?.column ?? 1), (b.y - a.y) * (spacing?.row ?? 1));
}

/** The angle at `vertex` between the rays to `a` and `b`, in degrees, in millimetres' geometry. */
export function angle(a: Point, vertex: Point, b: Point, spacing: Spacing | undefined): number | undefined {
  const sx = spacing?.column ?? 1;
  const sy = spacing?.row ?? 1;
  const u = { x: (a.x - vertex.x) * sx, y: (a.y - vertex.y) * sy };
  const v = { x: (b.x - vertex.x) * sx, y: (b.y - vertex.y) * sy };
  const nu = Math.hypot(u.x, u.y);
  const nv = Math.hypot(v.x, v.y);
  if (nu === 0 || nv === 0) return undefined;
  const cos = Math.min(1, Math.max(-1, (u.x * v.x + u.y * v.y) / (nu * nv)));
  return (Math.acos(cos) * 180) / Math.PI;
}

/**
 * The spacing measurements are calibrated from: PixelSpacing (0028,0030), else ImagerPixelSpacing
 * (0018,1164), each "row\column" in mm; undefined when neither is there or valid.
 */
export function spacingOf(pixelSpacing: readonly number[] | undefined, imagerPixelSpacing: readonly number[] | undefined): Spacing | undefined {
  const valid = (s: readonly number[] | undefined): s is readonly [number, number] =>
    !!s && s.length >= 2 && s.slice(0, 2).every((v) => Number.isFinite(v) && v > 0);
  if (valid(pixelSpacing)) return { row: pixelSpacing[0], column: pixelSpacing[1], source: 'PixelSpacing' };
  if (valid(imagerPixelSpacing)) return { row: imagerPixelSpacing[0], column: imagerPixelSpacing[1], source: 'ImagerPixelSpacing' };
  return undefined;
}
