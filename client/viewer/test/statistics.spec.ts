import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import dicomParser from 'dicom-parser';
import { describe, expect, it } from 'vitest';
import { angle, area, boxOf, length, probe, regionStats, spacingOf, type Box, type Raster, type Shape } from '../src/viewer/tools/statistics';

const here = path.dirname(fileURLToPath(import.meta.url));
const CORPUS = process.env.EMAGE_CORPUS_DIR ?? path.resolve(here, '..', '..', '..', '..', 'shared', 'corpus');

/** Values pydicom and numpy computed on the same file (fixtures/roi-stats.py). */
const expected = JSON.parse(fs.readFileSync(path.join(here, 'fixtures', 'roi-stats.json'), 'utf8')) as {
  file: string;
  pixelSpacing: number[];
  regions: Array<{ shape: Shape; box: Box; count: number; mean: number; stdDev: number; min: number; max: number }>;
  probes: Array<{ x: number; y: number; value: number }>;
};

/** The corpus CT as the viewer's tools see it: stored values (signed 16-bit here) and the modality transform. */
function readCt(): Raster & { pixelSpacing: number[] } {
  const bytes = fs.readFileSync(path.join(CORPUS, expected.file));
  const ds = dicomParser.parseDicom(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const element = ds.elements.x7fe00010!;
  const rows = ds.uint16('x00280010')!;
  const columns = ds.uint16('x00280011')!;
  const signed = ds.uint16('x00280103') === 1;
  const copy = bytes.buffer.slice(bytes.byteOffset + element.dataOffset, bytes.byteOffset + element.dataOffset + rows * columns * 2);
  return {
    rows,
    columns,
    pixels: signed ? new Int16Array(copy) : new Uint16Array(copy),
    slope: Number(ds.string('x00281053') ?? 1),
    intercept: Number(ds.string('x00281052') ?? 0),
    pixelSpacing: (ds.string('x00280030') ?? '').split('\\').map(Number),
  };
}

describe('measurement statistics on a real CT (pydicom/CT_small.dcm), against pydicom + numpy', () => {
  const ct = readCt();

  it('reads the file as pydicom does: size, spacing, a CT in Hounsfield units (intercept -1024)', () => {
    expect([ct.rows, ct.columns]).toEqual([128, 128]);
    expect(ct.pixelSpacing).toEqual(expected.pixelSpacing);
    expect(ct.intercept).toBe(-1024);
  });

  it.each(expected.regions.map((r) => [`${r.shape} ${JSON.stringify(r.box)}`, r] as const))('%s: count, mean, SD, min, max in HU', (_name, r) => {
    const stats = regionStats(ct, r.shape, r.box)!;
    expect(stats.count).toBe(r.count);
    expect(stats.mean).toBeCloseTo(r.mean, 6);
    expect(stats.stdDev).toBeCloseTo(r.stdDev, 6);
    expect(stats.min).toBe(r.min);
    expect(stats.max).toBe(r.max);
  });

  it.each(expected.probes.map((p) => [`(${p.x}, ${p.y})`, p] as const))('probe at %s: the pixel’s HU', (_name, p) => {
    expect(probe(ct, p)).toBe(p.value);
  });

  it('a region dragged in any direction is the same region; one outside the image has no statistics', () => {
    const r = expected.regions[0]!;
    const { left, top, width, height } = r.box;
    expect(regionStats(ct, r.shape, boxOf({ x: left + width, y: top + height }, { x: left, y: top }))!.mean).toBeCloseTo(r.mean, 6);
    expect(regionStats(ct, 'rectangle', { left: 200, top: 200, width: 10, height: 10 })).toBeUndefined();
    expect(probe(ct, { x: -1, y: 3 })).toBeUndefined();
  });
});

describe('calibration from the pixel spacing', () => {
  // Hand-computed: 4 px by 3 px with rows 0.5 mm apart and columns 0.25 mm apart.
  const spacing = spacingOf([0.5, 0.25], undefined)!;

  it('takes PixelSpacing (row\\column) first, ImagerPixelSpacing otherwise, nothing when neither is valid', () => {
    expect(spacing).toEqual({ row: 0.5, column: 0.25, source: 'PixelSpacing' });
    expect(spacingOf(undefined, [0.14, 0.14])).toEqual({ row: 0.14, column: 0.14, source: 'ImagerPixelSpacing' });
    expect(spacingOf([0.3, 0.3], [0.14, 0.14])?.source).toBe('PixelSpacing');
    expect(spacingOf(undefined, undefined)).toBeUndefined();
    expect(spacingOf([0, 0.5], [Number.NaN, 1])).toBeUndefined();
  });

  it('lengths and areas in mm with anisotropic spacing, in pixels without one', () => {
    // 4 columns × 0.25 mm = 1 mm wide, 3 rows × 0.5 mm = 1.5 mm high.
    expect(length({ x: 0, y: 0 }, { x: 4, y: 3 }, spacing)).toBeCloseTo(Math.hypot(1, 1.5), 12);
    expect(length({ x: 0, y: 0 }, { x: 4, y: 3 }, undefined)).toBe(5);
    expect(area('rectangle', { left: 0, top: 0, width: 4, height: 3 }, spacing)).toBeCloseTo(1.5, 12);
    expect(area('ellipse', { left: 0, top: 0, width: 4, height: 3 }, spacing)).toBeCloseTo((Math.PI * 1 * 1.5) / 4, 12);
    expect(area('rectangle', { left: 0, top: 0, width: 4, height: 3 }, undefined)).toBe(12);
  });

  it('angles in the patient’s geometry: a right angle in pixels is not one when rows and columns differ', () => {
    expect(angle({ x: 10, y: 0 }, { x: 0, y: 0 }, { x: 0, y: 10 }, spacing)).toBeCloseTo(90, 12);
    // The diagonal (1, 1) px is (0.25, 0.5) mm: atan(0.5 / 0.25) from the row direction.
    expect(angle({ x: 10, y: 0 }, { x: 0, y: 0 }, { x: 1, y: 1 }, spacing)).toBeCloseTo((Math.atan2(0.5, 0.25) * 180) / Math.PI, 12);
    expect(angle({ x: 10, y: 0 }, { x: 0, y: 0 }, { x: 1, y: 1 }, undefined)).toBeCloseTo(45, 12);
    expect(angle({ x: 0, y: 0 }, { x: 0, y: 0 }, { x: 1, y: 1 }, spacing)).toBeUndefined();
  });
});
