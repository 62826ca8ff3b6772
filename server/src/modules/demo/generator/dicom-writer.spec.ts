import { describe, expect, it } from 'vitest';
import { T } from './dicom-tags.js';
import { parse, utf8 } from './dicom-test-utils.js';
import {
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLEMENTATION_CLASS_UID,
  el,
  encodeDataset,
  formatDs,
  isValidUid,
  newUid,
  uidFromName,
  writePart10,
  type DicomElement,
} from './dicom-writer.js';

const base = (): DicomElement[] => [
  el(T.SpecificCharacterSet, 'CS', 'ISO_IR 192'),
  el(T.SOPClassUID, 'UI', '1.2.840.10008.5.1.4.1.1.7'),
  el(T.SOPInstanceUID, 'UI', uidFromName('writer-spec')),
];

describe('UIDs', () => {
  it('are valid 2.25 UIDs of at most 64 characters', () => {
    for (let i = 0; i < 200; i++) {
      const uid = newUid();
      expect(uid.startsWith('2.25.')).toBe(true);
      expect(isValidUid(uid), uid).toBe(true);
      expect(uid.length).toBeLessThanOrEqual(44);
    }
    expect(isValidUid(IMPLEMENTATION_CLASS_UID)).toBe(true);
  });

  it('derive stably from a name and differ between names', () => {
    expect(uidFromName('a')).toBe(uidFromName('a'));
    expect(uidFromName('a')).not.toBe(uidFromName('b'));
    expect(isValidUid('1.02.3')).toBe(false);
  });
});

describe('encodeDataset', () => {
  it('pads UI with NUL and text with a space, to even lengths', () => {
    const bytes = encodeDataset([el(T.StudyInstanceUID, 'UI', '1.2.3'), el(T.Modality, 'CS', 'CTX')]);
    // (0008,0060) CS len 4 "CTX " then (0020,000D) UI len 6 "1.2.3\0": tags ascending.
    expect(bytes.readUInt16LE(0)).toBe(0x0008);
    expect(bytes.readUInt16LE(2)).toBe(0x0060);
    expect(bytes.subarray(4, 6).toString('latin1')).toBe('CS');
    expect(bytes.readUInt16LE(6)).toBe(4);
    expect(bytes.subarray(8, 12).toString('latin1')).toBe('CTX ');
    expect(bytes.readUInt16LE(18)).toBe(6);
    expect([...bytes.subarray(20, 26)]).toEqual([...Buffer.from('1.2.3\0', 'latin1')]);
  });

  it('uses 4-byte lengths with 2 reserved bytes for OB, OW, SQ, UT, UN, UC, UR', () => {
    const bytes = encodeDataset([el(T.EncapsulatedDocument, 'OB', new Uint8Array([1, 2, 3]))]);
    expect(bytes.subarray(4, 6).toString('latin1')).toBe('OB');
    expect(bytes.readUInt16LE(6)).toBe(0);
    expect(bytes.readUInt32LE(8)).toBe(4);
    expect([...bytes.subarray(12)]).toEqual([1, 2, 3, 0]);
  });

  it('writes sequences with defined lengths that parsers walk', () => {
    const item = [el(T.CodeValue, 'SH', '18748-4'), el(T.CodingSchemeDesignator, 'SH', 'LN')];
    const file = writePart10([...base(), el(T.ConceptNameCodeSequence, 'SQ', [item, item])]);
    const ds = parse(file);
    const sq = ds.elements.x0040a043;
    expect(sq?.items).toHaveLength(2);
    expect(sq?.items?.[1]?.dataSet?.string('x00080100')).toBe('18748-4');
  });

  it('rejects values that break their VR', () => {
    expect(() => encodeDataset([el(T.StudyID, 'SH', 'x'.repeat(17))])).toThrow(/longer than 16/);
    expect(() => encodeDataset([el(T.Modality, 'CS', 'ct')])).toThrow(/valid CS/);
    expect(() => encodeDataset([el(T.StudyInstanceUID, 'UI', '1.2.03')])).toThrow(/valid UI/);
    expect(() => encodeDataset([el(T.StudyDate, 'DA', '2021104')])).toThrow(/valid DA/);
    expect(() => encodeDataset([el(T.AccessionNumber, 'SH', 'é'), el(T.Modality, 'CS', 'É')])).toThrow(/non-ASCII/);
    expect(() => encodeDataset([el(T.Rows, 'US', 1), el(T.Rows, 'US', 2)])).toThrow(/duplicate/);
    expect(() => encodeDataset([el(T.InstitutionName, 'LO', 'a'.repeat(70_000))])).toThrow();
  });

  it('keeps DS within 16 characters', () => {
    expect(formatDs(0.78125)).toBe('0.78125');
    expect(formatDs(-199.609375)).toBe('-199.609375');
    expect(formatDs(1 / 3).length).toBeLessThanOrEqual(16);
    expect(Number(formatDs(1 / 3))).toBeCloseTo(1 / 3, 12);
  });
});

describe('writePart10', () => {
  const file = writePart10([
    ...base(),
    el(T.PatientName, 'PN', 'DUPONT-MOREAU^Hélène'),
    el(T.StudyDescription, 'LO', 'ÉCHOGRAPHIE – cœur'),
  ]);

  it('writes preamble, DICM and a file meta group whose length is exact', () => {
    expect(file.subarray(0, 128).every((b) => b === 0)).toBe(true);
    expect(file.subarray(128, 132).toString('latin1')).toBe('DICM');
    expect(file.subarray(132, 136)).toEqual(Buffer.from([0x02, 0x00, 0x00, 0x00]));
    expect(file.subarray(136, 138).toString('latin1')).toBe('UL');
    const groupLength = file.readUInt32LE(140);
    // The first element after the meta group starts with group 0x0008.
    expect(file.readUInt16LE(144 + groupLength)).toBe(0x0008);
  });

  it('is read back by dicom-parser, accents included', () => {
    const ds = parse(file);
    expect(ds.string('x00020010')).toBe(EXPLICIT_VR_LITTLE_ENDIAN);
    expect(ds.string('x00020002')).toBe('1.2.840.10008.5.1.4.1.1.7');
    expect(ds.string('x00020003')).toBe(ds.string('x00080018'));
    expect(ds.string('x00020012')).toBe(IMPLEMENTATION_CLASS_UID);
    expect(utf8(ds, 'x00100010')).toBe('DUPONT-MOREAU^Hélène');
    expect(utf8(ds, 'x00081030')).toBe('ÉCHOGRAPHIE – cœur');
  });

  it('refuses a dataset without SOP UIDs or with group 0002', () => {
    expect(() => writePart10([el(T.Modality, 'CS', 'CT')])).toThrow(/SOPClassUID/);
    expect(() => writePart10([...base(), el(0x00020010, 'UI', '1.2')])).toThrow(/group 0002/);
  });
});
