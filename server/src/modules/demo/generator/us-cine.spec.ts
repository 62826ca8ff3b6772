import { describe, expect, it } from 'vitest';
import { SopClass } from './dicom-tags.js';
import { parse } from './dicom-test-utils.js';
import { uidFromName } from './dicom-writer.js';
import type { StudyContext } from './study-context.js';
import { generateUsCine, renderUsFrames } from './us-cine.js';

const context: StudyContext = {
  patient: { patientId: '54000001', name: { familyName: 'Lefèvre', givenName: 'Élodie' }, birthDate: '1988-07-24', sex: 'F' },
  study: {
    studyInstanceUid: uidFromName('spec/us/study'), date: new Date('2024-01-10T08:15:00Z'), accessionNumber: 'NCY24000101',
    studyId: '000101', description: 'ECHOGRAPHIE CERVICALE', institutionName: "Centre d'imagerie de Nancy",
  },
};

describe('ultrasound cine', () => {
  const instance = generateUsCine({ context, uidNamespace: 'spec/us', seed: 3 });
  const ds = parse(instance.data);
  const frameBytes = 480 * 640;

  it('is one Ultrasound Multi-frame instance of 48 frames 480×640, 8-bit MONOCHROME2', () => {
    expect(ds.string('x00080016')).toBe(SopClass.UsMultiframeImage);
    expect(ds.string('x00080060')).toBe('US');
    expect(ds.intString('x00280008')).toBe(48);
    expect(ds.uint16('x00280010')).toBe(480);
    expect(ds.uint16('x00280011')).toBe(640);
    expect(ds.uint16('x00280100')).toBe(8);
    expect(ds.uint16('x00280103')).toBe(0);
    expect(ds.string('x00280004')).toBe('MONOCHROME2');
    expect(ds.elements.x7fe00010?.length).toBe(48 * frameBytes);
    expect(ds.string('x0020000d')).toBe(context.study.studyInstanceUid);
  });

  it('declares its cine timing through FrameIncrementPointer → FrameTime', () => {
    expect(ds.attributeTag('x00280009')).toBe('x00181063');
    expect(ds.floatString('x00181063')).toBe(40);
    expect(ds.intString('x00180040')).toBe(25);
    const region = ds.elements.x00186011?.items?.[0]?.dataSet;
    expect(region?.double('x0018602c')).toBeCloseTo(0.01, 9);
    expect(region?.uint16('x00186024')).toBe(3);
  });

  it('changes from frame to frame and draws a sector on black', () => {
    const px = ds.byteArray.subarray(ds.elements.x7fe00010!.dataOffset);
    const frame = (f: number): Uint8Array => px.subarray(f * frameBytes, (f + 1) * frameBytes);
    let differing = 0;
    const a = frame(0);
    const b = frame(10);
    for (let i = 0; i < frameBytes; i++) if (Math.abs((a[i] ?? 0) - (b[i] ?? 0)) > 20) differing++;
    expect(differing).toBeGreaterThan(frameBytes / 10);
    expect(a[0]).toBe(0); // top-left corner is outside the sector
    expect(a[240 * 640 + 320]).toBeGreaterThan(0);
  });

  it('is deterministic for a seed', () => {
    expect(Buffer.from(renderUsFrames(3, 60, 80, 40, 5)).equals(Buffer.from(renderUsFrames(3, 60, 80, 40, 5)))).toBe(true);
    expect(Buffer.from(renderUsFrames(3, 60, 80, 40, 5)).equals(Buffer.from(renderUsFrames(3, 60, 80, 40, 6)))).toBe(false);
  });
});
