import { describe, expect, it } from 'vitest';
import type { DicomJson } from '../src/dicomweb/dicomJson';
import { tableEntries, withPaletteTables } from '../src/dicomweb/paletteTables';
import { assertDrawable, UndrawableFrameError } from '../src/cornerstone/decode-check';

const words = (values: number[]) => {
  const bytes = new Uint8Array(values.length * 2);
  values.forEach((v, i) => new DataView(bytes.buffer).setUint16(2 * i, v, true));
  return bytes;
};
const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

/** A PALETTE COLOR instance as our server's metadata gives it: descriptors as values, tables inline or as bulk data. */
function palette(tables: (values: number[], colour: string) => { InlineBinary?: string; BulkDataURI?: string }): DicomJson {
  const r = [0, 65535, 32768, 0];
  const g = [0, 0, 65535, 256];
  const b = [65535, 0, 0, 512];
  return {
    '00280004': { vr: 'CS', Value: ['PALETTE COLOR'] },
    '00281101': { vr: 'US', Value: [4, 0, 16] },
    '00281102': { vr: 'US', Value: [4, 0, 16] },
    '00281103': { vr: 'US', Value: [4, 0, 16] },
    '00281201': { vr: 'OW', ...tables(r, 'red') },
    '00281202': { vr: 'OW', ...tables(g, 'green') },
    '00281203': { vr: 'OW', ...tables(b, 'blue') },
  };
}

describe('palette colour lookup tables for the loader', () => {
  it('decodes InlineBinary tables into values', async () => {
    const ds = await withPaletteTables(palette((v) => ({ InlineBinary: base64(words(v)) })), () => Promise.reject(new Error('no fetch expected')));
    expect(ds['00281201']?.Value).toEqual([0, 65535, 32768, 0]);
    expect(ds['00281202']?.Value).toEqual([0, 0, 65535, 256]);
    expect(ds['00281203']?.Value).toEqual([65535, 0, 0, 512]);
  });

  it('fetches BulkDataURI tables', async () => {
    const tables: Record<string, number[]> = {};
    const ds = await withPaletteTables(
      palette((v, colour) => {
        tables[`/bulk/${colour}`] = v;
        return { BulkDataURI: `/bulk/${colour}` };
      }),
      async (uri) => words(tables[uri] ?? []),
    );
    expect(ds['00281201']?.Value).toEqual([0, 65535, 32768, 0]);
    expect(ds['00281203']?.Value).toEqual([65535, 0, 0, 512]);
  });

  it('leaves a table it cannot get as it came, and other instances untouched', async () => {
    const ds = await withPaletteTables(palette(() => ({ BulkDataURI: '/gone' })), () => Promise.reject(new Error('404')));
    expect(ds['00281201']?.Value).toBeUndefined();
    const mono: DicomJson = { '00280004': { vr: 'CS', Value: ['MONOCHROME2'] } };
    expect(await withPaletteTables(mono, () => Promise.reject(new Error('no fetch expected')))).toBe(mono);
  });

  it('reads 8-bit tables stored one entry per word or one per byte, and 65536 entries for a descriptor of 0', () => {
    expect(tableEntries(words([1, 2, 255]), [3, 0, 8])).toEqual([1, 2, 255]);
    expect(tableEntries(new Uint8Array([1, 2, 255]), [3, 0, 8])).toEqual([1, 2, 255]);
    expect(tableEntries(new Uint8Array(4), [0, 0, 16])).toBeUndefined();
    expect(tableEntries(new Uint8Array(131072), [0, 0, 16])).toHaveLength(65536);
  });
});

describe('decoded frames the loader cannot convert are refused', () => {
  it('refuses a PALETTE COLOR frame without tables, and a colour space without converter', () => {
    expect(() => assertDrawable({ bitsAllocated: 8, photometricInterpretation: 'PALETTE COLOR', redPaletteColorLookupTableDescriptor: [256, 0, 8] })).toThrow(UndrawableFrameError);
    expect(() => assertDrawable({ bitsAllocated: 8, photometricInterpretation: 'YBR_PARTIAL_420' })).toThrow(/YBR_PARTIAL_420/);
  });

  it('passes frames it can draw', () => {
    const lut = [0, 1];
    const d = [2, 0, 16];
    for (const photometricInterpretation of ['MONOCHROME1', 'MONOCHROME2', 'RGB', 'YBR_FULL', 'YBR_FULL_422']) {
      expect(() => assertDrawable({ bitsAllocated: 8, photometricInterpretation })).not.toThrow();
    }
    expect(() =>
      assertDrawable({
        bitsAllocated: 8,
        photometricInterpretation: 'PALETTE COLOR',
        redPaletteColorLookupTableDescriptor: d,
        greenPaletteColorLookupTableDescriptor: d,
        bluePaletteColorLookupTableDescriptor: d,
        redPaletteColorLookupTableData: lut,
        greenPaletteColorLookupTableData: lut,
        bluePaletteColorLookupTableData: lut,
      }),
    ).not.toThrow();
  });
});
