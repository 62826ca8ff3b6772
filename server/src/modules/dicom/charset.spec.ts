import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CharsetDecoder, personNameGroups } from './charset.js';
import { parsePart10 } from './part10.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/dicom/charset');

describe('patient names of the pydicom character set files', () => {
  // Expected values: pydicom's documentation of its charset test files (and MANIFEST.tsv).
  const expected: [string, string, string][] = [
    ['chrArab.dcm', 'ISO_IR 127', 'قباني^لنزار'],
    ['chrFren.dcm', 'ISO_IR 100', 'Buc^Jérôme'],
    ['chrGerm.dcm', 'ISO_IR 100', 'Äneas^Rüdiger'],
    ['chrGreek.dcm', 'ISO_IR 126', 'Διονυσιος'],
    ['chrH31.dcm', '\\ISO 2022 IR 87', 'Yamada^Tarou=山田^太郎=やまだ^たろう'],
    ['chrH32.dcm', 'ISO 2022 IR 13\\ISO 2022 IR 87', 'ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう'],
    ['chrHbrw.dcm', 'ISO_IR 138', 'שרון^דבורה'],
    ['chrI2.dcm', '\\ISO 2022 IR 149', 'Hong^Gildong=洪^吉洞=홍^길동'],
    ['chrJapMulti.dcm', '\\ISO 2022 IR 87', 'やまだ^たろう'],
    ['chrKoreanMulti.dcm', '\\ISO 2022 IR 149', '김희중'],
    ['chrRuss.dcm', 'ISO_IR 144', 'Люкceмбypг'],
    ['chrX1.dcm', 'ISO_IR 192', 'Wang^XiaoDong=王^小東'],
    ['chrX2.dcm', 'GB18030', 'Wang^XiaoDong=王^小东'],
  ];

  it.each(expected)('%s (%s) → %s', (file, charset, name) => {
    const parsed = parsePart10(readFileSync(path.join(fixtures, file)));
    expect(parsed.specificCharacterSet).toBe(charset);
    expect(parsed.patient.name?.raw).toBe(name);
  });

  it('splits component groups for the JSON model', () => {
    const parsed = parsePart10(readFileSync(path.join(fixtures, 'chrI2.dcm')));
    expect(parsed.patient.name?.groups).toEqual({ Alphabetic: 'Hong^Gildong', Ideographic: '洪^吉洞', Phonetic: '홍^길동' });
    expect(parsed.patient.name?.decoded).toBe('Hong Gildong');
  });

  it('decodes other text attributes with the same character set', () => {
    const parsed = parsePart10(readFileSync(path.join(fixtures, 'chrJapMulti.dcm')));
    const additionalHistory = parsed.dataSet.elements.x001021b0;
    if (!additionalHistory) throw new Error('chrJapMulti has AdditionalPatientHistory');
    const value = parsed.dataSet.byteArray.subarray(additionalHistory.dataOffset, additionalHistory.dataOffset + additionalHistory.length);
    expect(parsed.charset.decode(value, 'LT').trim()).toBe('たろう');
  });
});

describe('CharsetDecoder', () => {
  const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

  it('defaults to ISO 8859-1 when SpecificCharacterSet is absent, empty or unknown', () => {
    for (const term of [undefined, '', 'ISO_IR 6', 'NOT A CHARSET']) {
      expect(new CharsetDecoder(term).decode(bytes(0x48, 0xe9))).toBe('Hé');
    }
  });

  it('decodes the single-byte ISO 8859 parts and UTF-8', () => {
    expect(new CharsetDecoder('ISO_IR 101').decode(bytes(0xa3, 0xf3, 0x64, 0xbc))).toBe('Łódź');
    expect(new CharsetDecoder('ISO_IR 148').decode(bytes(0xdd, 0x73, 0x74, 0x61, 0x6e, 0x62, 0x75, 0x6c))).toBe('İstanbul');
    expect(new CharsetDecoder('ISO_IR 192').decode(Buffer.from('Hélène 山田', 'utf8'))).toBe('Hélène 山田');
  });

  it('decodes GBK and ISO 2022 IR 58 (GB 2312 through an escape sequence)', () => {
    expect(new CharsetDecoder('GBK').decode(bytes(0xcd, 0xf5))).toBe('王');
    expect(new CharsetDecoder('\\ISO 2022 IR 58').decode(bytes(0x1b, 0x24, 0x29, 0x41, 0xcd, 0xf5))).toBe('王');
  });

  it('switches G1 sets with escape sequences inside one value', () => {
    // ISO 2022 IR 100 then Cyrillic (ESC - L): "é" then "Ж".
    const decoder = new CharsetDecoder('ISO 2022 IR 100\\ISO 2022 IR 144');
    expect(decoder.decode(bytes(0xe9, 0x1b, 0x2d, 0x4c, 0xb6))).toBe('éЖ');
  });

  it('returns to the initial sets at PN delimiters (PS3.5 6.1.2.5.3)', () => {
    // Cyrillic invoked by ESC - L, then "^": the byte after it is Latin-1 again.
    const decoder = new CharsetDecoder('ISO 2022 IR 100\\ISO 2022 IR 144');
    expect(decoder.decode(bytes(0x1b, 0x2d, 0x4c, 0xb6, 0x5e, 0xe9), 'PN')).toBe('Ж^é');
    // Inside JIS X 0208, 0x5E is half of a character, not a delimiter.
    const japanese = new CharsetDecoder('\\ISO 2022 IR 87');
    expect(japanese.decode(bytes(0x1b, 0x24, 0x42, 0x24, 0x5e, 0x1b, 0x28, 0x42, 0x5e, 0x41), 'PN')).toBe('ま^A');
  });
});

describe('personNameGroups', () => {
  it('maps the three component groups and drops empty ones', () => {
    expect(personNameGroups('A^B=C^D=E^F')).toEqual({ Alphabetic: 'A^B', Ideographic: 'C^D', Phonetic: 'E^F' });
    expect(personNameGroups('=山田^太郎')).toEqual({ Ideographic: '山田^太郎' });
    expect(personNameGroups('')).toEqual({});
  });
});
