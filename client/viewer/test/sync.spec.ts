import { describe, expect, it } from 'vitest';
import type { DicomJson } from '../src/dicomweb/dicomJson';
import { buildStack, type StackSeries } from '../src/dicomweb/studyModel';
import { SliceIndex } from '../src/viewer/sync';

const AXIAL = [1, 0, 0, 0, 1, 0];
const SAGITTAL = [0, 1, 0, 0, 0, -1];

/** A stack of `z.length` 2×2 slices at the given table positions (mm), in instance-number order. */
function stack(uid: string, z: number[], orientation = AXIAL, frames = 1): StackSeries {
  const instances: DicomJson[] = z.map((pos, i) => ({
    '00080018': { vr: 'UI', Value: [`${uid}.${i + 1}`] },
    '0020000E': { vr: 'UI', Value: [uid] },
    '00200013': { vr: 'IS', Value: [i + 1] },
    '00200032': { vr: 'DS', Value: orientation === AXIAL ? [-100, -100, pos] : [pos, -100, 100] },
    '00200037': { vr: 'DS', Value: orientation },
    '00280008': { vr: 'IS', Value: [frames] },
    '00280010': { vr: 'US', Value: [2] },
    '00280011': { vr: 'US', Value: [2] },
  }));
  const s = buildStack({ seriesUid: uid, description: uid, modality: 'CT', seriesNumber: 1 }, instances, (sop) => `/i/${sop}`);
  if (!s) throw new Error('no stack');
  return s;
}

describe('scrolling in sync by slice position', () => {
  const sync = new SliceIndex();

  it('follows the slice at the same table position, the nearest one when spacings differ', () => {
    const thin = stack('1', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const thick = stack('2', [0, 2.5, 5, 7.5, 10]);
    expect(sync.follow(thin, 5, thick)).toBe(2); // z = 5
    expect(sync.follow(thin, 4, thick)).toBe(2); // z = 4: 5 is nearer than 2.5
    expect(sync.follow(thick, 3, thin)).toBe(7); // z = 7.5: 7 and 8 tie, the first wins
  });

  it('holds at the end slice past the other series’ extent, whatever order the slices are numbered in', () => {
    const headFirst = stack('1', [0, 10, 20, 30]);
    const feetFirst = stack('2', [60, 50, 40, 30, 20]);
    expect(sync.follow(headFirst, 3, feetFirst)).toBe(3); // z = 30
    expect(sync.follow(headFirst, 0, feetFirst)).toBe(4); // z = 0, below 20: the last slice (z = 20)
  });

  it('does not follow a series in another orientation, nor a multi-frame file without per-frame positions', () => {
    const axial = stack('1', [0, 10, 20]);
    expect(sync.follow(axial, 1, stack('2', [0, 10, 20], SAGITTAL))).toBeUndefined();
    expect(sync.follow(axial, 1, stack('3', [0], AXIAL, 10))).toBeUndefined();
  });
});
