import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { instanceLevelJson, seriesLevelJson, studyLevelJson, toDicomJson, type DicomJsonAttribute, type DicomJsonDataSet } from './dicom-json.js';
import { parsePart10 } from './part10.js';
import { baseInstance, buildPart10, imagePixel } from './testing/build-part10.js';
import { quietDcmjs } from './testing/dcmjs.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.resolve(here, '../../../test/fixtures/dicom');
const fixture = (name: string): Buffer => readFileSync(path.join(fixtures, name));
const corpusDir = process.env.CORPUS_DIR ?? path.resolve(here, '../../../..', '../shared/corpus/files');
const bulk = { bulkDataUri: (tag: string, at: string) => `https://pacs.example/bulk/${at}` };

const json = (name: string): DicomJsonDataSet => toDicomJson(parsePart10(fixture(name)), bulk);

describe('toDicomJson', () => {
  it('gives viewers what the Cornerstone WADO-RS metadata provider reads', () => {
    const ct = json('CT_small.dcm');
    expect(ct['00280030']).toEqual({ vr: 'DS', Value: [0.661468, 0.661468] });
    expect(ct['00200037']?.Value).toEqual([1, 0, 0, 0, 1, 0]);
    expect(ct['00200032']?.Value).toEqual([-158.135803, -179.035797, -75.699997]);
    expect(ct['00281052']).toEqual({ vr: 'DS', Value: [-1024] });
    expect(ct['00280010']).toEqual({ vr: 'US', Value: [128] });
    expect(ct['00280103']?.Value).toEqual([1]);
    expect(ct['00200013']?.vr).toBe('IS');
    expect(typeof ct['00200013']?.Value?.[0]).toBe('number');
    expect(ct['00080016']).toEqual({ vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] });
    expect(ct['7FE00010']).toEqual({ vr: 'OW', BulkDataURI: 'https://pacs.example/bulk/7FE00010' });
    expect(ct['00100010']).toEqual({ vr: 'PN', Value: [{ Alphabetic: 'CompressedSamples^CT1' }] });
    expect(Object.keys(ct).some((tag) => tag.startsWith('0002'))).toBe(false);
  });

  it('keeps multi-valued window settings as arrays of numbers', () => {
    const bytes = buildPart10([
      ...baseInstance(),
      ...imagePixel(2, 2, 8),
      { tag: 0x00281050, vr: 'DS', value: '40\\400 ' },
      { tag: 0x00281051, vr: 'DS', value: '400\\2000' },
      { tag: 0x00281055, vr: 'LO', value: 'BRAIN\\BONE' },
      { tag: 0x7fe00010, vr: 'OB', bytes: new Uint8Array(4) },
    ]);
    const out = toDicomJson(parsePart10(bytes), bulk);
    expect(out['00281050']).toEqual({ vr: 'DS', Value: [40, 400] });
    expect(out['00281051']).toEqual({ vr: 'DS', Value: [400, 2000] });
    expect(out['00281055']).toEqual({ vr: 'LO', Value: ['BRAIN', 'BONE'] });
  });

  it('recurses into sequences and gives nested bulk data a path', () => {
    const bytes = buildPart10([
      ...baseInstance(),
      {
        tag: 0x00081115,
        vr: 'SQ',
        items: [
          [{ tag: 0x0020000e, vr: 'UI', value: '1.2.3' }],
          [
            { tag: 0x0020000e, vr: 'UI', value: '1.2.4' },
            { tag: 0x00420011, vr: 'OB', bytes: new Uint8Array(4096) },
          ],
        ],
      },
    ]);
    const sequence = toDicomJson(parsePart10(bytes), bulk)['00081115'];
    expect(sequence?.vr).toBe('SQ');
    expect(sequence?.Value).toEqual([
      { '0020000E': { vr: 'UI', Value: ['1.2.3'] } },
      {
        '0020000E': { vr: 'UI', Value: ['1.2.4'] },
        '00420011': { vr: 'OB', BulkDataURI: 'https://pacs.example/bulk/00081115/1/00420011' },
      },
    ]);
  });

  it('reads big endian files into the same JSON as little endian ones', () => {
    const little = json('MR_small.dcm');
    const big = json('MR_small_bigendian.dcm');
    for (const tag of ['00280030', '00280010', '00280106', '00200032', '00100010']) expect(big[tag], tag).toEqual(little[tag]);
  });

  it('inlines small binary values as little endian base64, also from big endian files', () => {
    // Palette LUT data (OW) 0x0102 0x0304, as each byte order stores it.
    const lut = (bytes: number[], ts: string): DicomJsonDataSet =>
      toDicomJson(parsePart10(buildPart10([...baseInstance(), { tag: 0x00281201, vr: 'OW', bytes: Uint8Array.from(bytes) }], ts)), bulk);
    const little = lut([0x02, 0x01, 0x04, 0x03], '1.2.840.10008.1.2.1');
    const big = lut([0x01, 0x02, 0x03, 0x04], '1.2.840.10008.1.2.2');
    expect(little['00281201']).toEqual({ vr: 'OW', InlineBinary: Buffer.from([0x02, 0x01, 0x04, 0x03]).toString('base64') });
    expect(big['00281201']).toEqual(little['00281201']);
    expect(big['00100010']).toEqual(little['00100010']);
  });

  it('takes VRs from the dictionary for implicit VR files, resolving US or SS by PixelRepresentation', () => {
    const implicit = json('MR_small_implicit.dcm');
    const explicit = json('MR_small.dcm');
    for (const tag of ['00080060', '00100010', '00280030', '00200013', '00280010', '00181030']) {
      expect(implicit[tag], tag).toEqual(explicit[tag]);
    }
    const bytes = fixture('CT_small.dcm');
    expect(toDicomJson(parsePart10(bytes), bulk)['00280106']?.vr ?? 'SS').toMatch(/^(US|SS)$/);
  });

  it('decodes text to Unicode and declares ISO_IR 192', () => {
    const h31 = json('charset/chrH31.dcm');
    expect(h31['00080005']).toEqual({ vr: 'CS', Value: ['ISO_IR 192'] });
    expect(h31['00100010']?.Value).toEqual([{ Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎', Phonetic: 'やまだ^たろう' }]);
    const korean = json('charset/chrKoreanMulti.dcm');
    expect(korean['00101001']?.Value).toEqual([{ Alphabetic: '김희중' }, { Alphabetic: '김희중' }]);
  });

  it('survives the JSON round trip that a WADO-RS response is', () => {
    const out = json('deflated.dcm');
    expect(JSON.parse(JSON.stringify(out))).toEqual(out);
    expect(out['7FE00010']?.BulkDataURI).toBeDefined();
  });
});

describe('toDicomJson agrees with dcmjs on every well-formed corpus file', () => {
  const dcmjs = quietDcmjs<DicomJsonAttribute>();
  const manifest = readFileSync(path.join(path.dirname(corpusDir), 'MANIFEST.tsv'), 'utf8').trimEnd().split('\n').slice(1);
  const files = manifest.map((l) => l.split('\t')[0] ?? '').filter((f) => !f.startsWith('malformed/'));

  // Known, deliberate differences: dcmjs keeps padding spaces in PN, lists empty values as [null]
  // or [""], writes AT as a number, leaves ISO 2022 escape sequences undecoded and strips trailing
  // CR/LF from UT; it also reads implicit US-or-SS tags as US.
  const normalise = (v: unknown): unknown => {
    if (v === '' || v === null) return null;
    if (typeof v === 'object' && v !== null && 'Alphabetic' in v) {
      const a = String((v as { Alphabetic: string }).Alphabetic).trim();
      return a ? { ...v, Alphabetic: a } : null;
    }
    return v;
  };
  const compare = (mine: DicomJsonDataSet, theirs: Record<string, DicomJsonAttribute>, where: string): number => {
    let compared = 0;
    for (const [tag, attribute] of Object.entries(mine)) {
      const other = theirs[tag];
      if (!other || ['AT', 'OB', 'OW', 'OF', 'OD', 'OL', 'UN'].includes(attribute.vr) || tag === '00080005') continue;
      if (attribute.vr === 'SQ') {
        (attribute.Value ?? []).forEach((item, i) => {
          compared += compare(item as DicomJsonDataSet, (other.Value?.[i] ?? {}) as Record<string, DicomJsonAttribute>, `${where}/${tag}/${i}`);
        });
        continue;
      }
      let expected = (other.Value ?? []).map(normalise);
      if (expected.every((v) => v === null)) expected = [];
      const actual = attribute.Value ?? [];
      // dcmjs reads an empty numeric value as [0].
      if (actual.length === 0 && /^(US|SS|UL|SL|FL|FD)$/.test(attribute.vr)) continue;
      const escaped = JSON.stringify(other.Value ?? []).includes('\\u001b');
      if (escaped || attribute.vr === 'UT') continue;
      expect(actual, `${where} ${tag}`).toEqual(expected);
      if (!(attribute.vr === 'SS' && other.vr === 'US')) expect(attribute.vr, `${where} ${tag}`).toBe(other.vr);
      compared++;
    }
    return compared;
  };

  it.each(files)('%s', (file) => {
    const bytes = readFileSync(path.join(corpusDir, file));
    const mine = toDicomJson(parsePart10(bytes), bulk);
    const arrayBuffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
    const theirs = dcmjs.data.DicomMessage.readFile(arrayBuffer, { ignoreErrors: true }).dict;
    expect(compare(mine, theirs, file)).toBeGreaterThan(5);
  });
});

describe('QIDO-RS result builders', () => {
  it('builds a study result with every required return key', () => {
    const study = studyLevelJson({
      studyInstanceUid: '1.2.3',
      studyDate: '20240102',
      studyTime: '101500',
      accessionNumber: 'ACC1',
      modalitiesInStudy: ['CT', 'SR'],
      referringPhysicianName: 'Martin^Claire',
      patientName: 'Yamada^Tarou=山田^太郎=やまだ^たろう',
      patientId: 'P1',
      patientBirthDate: '19700101',
      patientSex: 'F',
      studyId: 'S1',
      studyDescription: 'Scanner thoracique',
      numberOfStudyRelatedSeries: 2,
      numberOfStudyRelatedInstances: 40,
      retrieveUrl: 'https://e-mage.example/dicomweb/studies/1.2.3',
    });
    expect(study).toMatchObject({
      '0020000D': { vr: 'UI', Value: ['1.2.3'] },
      '00080020': { vr: 'DA', Value: ['20240102'] },
      '00080030': { vr: 'TM', Value: ['101500'] },
      '00080050': { vr: 'SH', Value: ['ACC1'] },
      '00080061': { vr: 'CS', Value: ['CT', 'SR'] },
      '00080090': { vr: 'PN', Value: [{ Alphabetic: 'Martin^Claire' }] },
      '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎', Phonetic: 'やまだ^たろう' }] },
      '00100020': { vr: 'LO', Value: ['P1'] },
      '00100030': { vr: 'DA', Value: ['19700101'] },
      '00100040': { vr: 'CS', Value: ['F'] },
      '00200010': { vr: 'SH', Value: ['S1'] },
      '00081030': { vr: 'LO', Value: ['Scanner thoracique'] },
      '00201206': { vr: 'IS', Value: [2] },
      '00201208': { vr: 'IS', Value: [40] },
      '00081190': { vr: 'UR', Value: ['https://e-mage.example/dicomweb/studies/1.2.3'] },
    });
    expect(Object.keys(study)).toEqual([...Object.keys(study)].sort());
  });

  it('lists unknown required keys with their VR and no value', () => {
    const study = studyLevelJson({ studyInstanceUid: '1.2.3' });
    expect(study['00080020']).toEqual({ vr: 'DA' });
    expect(study['00100010']).toEqual({ vr: 'PN' });
    expect(study['00080061']).toEqual({ vr: 'CS' });
    expect(study['00081190']).toBeUndefined();
  });

  it('builds series and instance results', () => {
    expect(
      seriesLevelJson({ studyInstanceUid: '1.2', seriesInstanceUid: '1.2.3', modality: 'MR', seriesNumber: 4, seriesDescription: 'T1', numberOfSeriesRelatedInstances: 20 }),
    ).toMatchObject({
      '00080060': { vr: 'CS', Value: ['MR'] },
      '0020000E': { vr: 'UI', Value: ['1.2.3'] },
      '00200011': { vr: 'IS', Value: [4] },
      '0008103E': { vr: 'LO', Value: ['T1'] },
      '00201209': { vr: 'IS', Value: [20] },
    });
    expect(
      instanceLevelJson({ sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: '9.8', instanceNumber: 3, rows: 512, columns: 512, numberOfFrames: 1 }),
    ).toMatchObject({
      '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] },
      '00080018': { vr: 'UI', Value: ['9.8'] },
      '00200013': { vr: 'IS', Value: [3] },
      '00280010': { vr: 'US', Value: [512] },
      '00280011': { vr: 'US', Value: [512] },
      '00280008': { vr: 'IS', Value: [1] },
    });
  });
});
