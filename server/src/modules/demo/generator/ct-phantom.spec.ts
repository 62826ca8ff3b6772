import { describe, expect, it } from 'vitest';
import { CT_RESCALE_INTERCEPT, HU, PHANTOMS, generateCtSeries, renderSliceHu } from './ct-phantom.js';
import { SopClass } from './dicom-tags.js';
import { parse, utf8 } from './dicom-test-utils.js';
import { newUid } from './dicom-writer.js';
import type { StudyContext } from './study-context.js';

const context: StudyContext = {
  patient: { patientId: '54123456', name: { familyName: 'Dupont-Moreau', givenName: 'Hélène' }, birthFamilyName: 'Moreau', birthDate: '1961-03-12', sex: 'F' },
  study: {
    studyInstanceUid: newUid(), date: new Date('2025-05-11T09:00:00Z'), accessionNumber: 'MTZ25123401', studyId: '123401',
    description: 'SCANNER THORACIQUE', institutionName: 'Imagerie médicale de Metz-Queuleu',
    referringPhysician: { familyName: 'Schmitt', givenName: 'Thomas', prefix: 'Dr' },
  },
};

function pixels(data: Buffer): Int16Array {
  const ds = parse(data);
  const e = ds.elements.x7fe00010;
  if (!e) throw new Error('no PixelData');
  return new Int16Array(data.buffer.slice(data.byteOffset + e.dataOffset, data.byteOffset + e.dataOffset + e.length));
}

describe('CT phantom series', () => {
  const series = [...generateCtSeries({ context, uidNamespace: 'spec/ct', seed: 7 })];

  it('makes 64 slices of 512×512', () => {
    expect(series).toHaveLength(64);
    expect(parse(series[0]!.data).uint16('x00280010')).toBe(512);
    expect(parse(series[0]!.data).uint16('x00280011')).toBe(512);
  });

  it('writes a consistent CT Image Storage geometry', () => {
    const first = parse(series[0]!.data);
    const second = parse(series[1]!.data);
    const last = parse(series[63]!.data);
    expect(first.string('x00080016')).toBe(SopClass.CtImage);
    expect(first.string('x00020002')).toBe(SopClass.CtImage);
    expect(first.string('x00080060')).toBe('CT');
    expect(first.uint16('x00280010')).toBe(512);
    expect(first.uint16('x00280011')).toBe(512);
    expect(first.uint16('x00280100')).toBe(16);
    expect(first.uint16('x00280103')).toBe(1);
    expect(first.string('x00280004')).toBe('MONOCHROME2');
    expect(first.floatString('x00281052')).toBe(CT_RESCALE_INTERCEPT);
    expect(first.floatString('x00281053')).toBe(1);
    expect(first.floatString('x00281050', 0)).toBe(40);
    expect(first.floatString('x00281051', 0)).toBe(400);
    expect(first.elements.x7fe00010?.length).toBe(512 * 512 * 2);
    expect(first.string('x00200037')).toBe('1\\0\\0\\0\\1\\0');
    expect(first.floatString('x00280030', 0)).toBeCloseTo(400 / 512, 6);
    const z = (ds: typeof first): number => ds.floatString('x00200032', 2) ?? NaN;
    expect(z(first) - z(second)).toBeCloseTo(first.floatString('x00180050') ?? NaN, 6);
    expect(z(first) - z(last)).toBeCloseTo(63 * 5, 6);
    expect(first.floatString('x00201041')).toBe(z(first));
    expect(first.floatString('x00200032', 0)).toBeCloseTo(-200 + 400 / 1024, 4);
    expect([first.intString('x00200013'), last.intString('x00200013')]).toEqual([1, 64]);
    for (const ds of [first, last]) {
      expect(ds.string('x0020000d')).toBe(context.study.studyInstanceUid);
      expect(ds.string('x0020000e')).toBe(series[0]!.seriesInstanceUid);
      expect(ds.string('x00200052')).toBe(first.string('x00200052'));
    }
    expect(new Set(series.map((s) => s.sopInstanceUid)).size).toBe(64);
    expect(utf8(first, 'x00100010')).toBe('DUPONT-MOREAU^Hélène');
  });

  it('varies along z: slices of the apex, the heart and the liver differ', () => {
    const top = pixels(series[2]!.data);
    const mid = pixels(series[40]!.data);
    const bottom = pixels(series[62]!.data);
    const differing = (a: Int16Array, b: Int16Array): number => a.filter((v, i) => Math.abs(v - (b[i] ?? 0)) > 100).length;
    expect(differing(top, mid)).toBeGreaterThan(10_000);
    expect(differing(mid, bottom)).toBeGreaterThan(10_000);
  });

  it('stores realistic Hounsfield units (air, lung, soft tissue, bone)', () => {
    const px = pixels(series[20]!.data);
    const hu = (x: number, y: number): number => (px[Math.round((y + 200) / (400 / 512)) * 512 + Math.round((x + 200) / (400 / 512))] ?? 0) + CT_RESCALE_INTERCEPT;
    expect(hu(0, -170)).toBeLessThan(-950); // air in front of the chest
    expect(hu(-80, 0)).toBeLessThan(-800); // right lung
    expect(Math.abs(hu(-140, -20) - HU.softTissue)).toBeLessThan(30); // chest wall
    expect(hu(0, 76)).toBeGreaterThan(HU.bone - 40); // vertebral body
  });

  it('is deterministic for a seed and UID namespace', () => {
    const again = generateCtSeries({ context, uidNamespace: 'spec/ct', seed: 7, slices: 2 });
    const small = [...generateCtSeries({ context, uidNamespace: 'spec/ct', seed: 7, slices: 2 })];
    // Buffer.equals: a deep toEqual over half a megabyte per slice takes seconds.
    expect([...again].every((inst, i) => inst.data.equals(small[i]!.data))).toBe(true);
    const other = [...generateCtSeries({ context, uidNamespace: 'spec/ct', seed: 8, slices: 2 })];
    expect(other[0]!.data.equals(small[0]!.data)).toBe(false);
  });

  it('renders the Shepp–Logan head with skull, brain and ventricles', () => {
    const out = renderSliceHu(PHANTOMS.head(), 0, { size: 256, fov: 250 });
    const at = (x: number, y: number): number => out[Math.round((y + 125) / (250 / 256)) * 256 + Math.round((x + 125) / (250 / 256))] ?? 0;
    expect(at(0, -100)).toBe(HU.cortical);
    expect(at(0, 60)).toBe(HU.brain);
    expect(at(24, 0)).toBe(HU.csf);
    expect(at(0, -124)).toBe(HU.air);
  });
});
