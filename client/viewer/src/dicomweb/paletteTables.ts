import { getNumbers, getString, Tag, type DicomAttribute, type DicomJson } from './dicomJson';

/**
 * The wado-image-loader's metadata provider reads the palette colour lookup tables of a PALETTE
 * COLOR image from `Value` only, while a DICOMweb server gives these OW values as InlineBinary
 * (base64) or as a BulkDataURI: without them the loader's colour conversion throws inside a
 * promise callback and the frame's load never settles. So the tables are put into `Value`, as
 * numbers, before the instance's metadata is handed to Cornerstone.
 */

const TABLES: ReadonlyArray<[descriptor: string, data: string]> = [
  [Tag.RedPaletteColorLookupTableDescriptor, Tag.RedPaletteColorLookupTableData],
  [Tag.GreenPaletteColorLookupTableDescriptor, Tag.GreenPaletteColorLookupTableData],
  [Tag.BluePaletteColorLookupTableDescriptor, Tag.BluePaletteColorLookupTableData],
];

/** Fetches the bytes a BulkDataURI points at. */
export type FetchBulkData = (uri: string) => Promise<Uint8Array>;

export function isPaletteColor(ds: DicomJson): boolean {
  return getString(ds, Tag.PhotometricInterpretation)?.trim() === 'PALETTE COLOR';
}

function base64Bytes(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/**
 * A table's entries from its bytes (little endian, as DICOM JSON binary values are). Entries are
 * 16-bit words (PS3.3 C.7.6.3.1.6), also for 8-bit tables; a table exactly one byte per entry is
 * read as bytes, as some writers store 8-bit tables.
 */
export function tableEntries(bytes: Uint8Array, descriptor: readonly number[]): number[] | undefined {
  const entries = descriptor[0] === 0 ? 65536 : (descriptor[0] ?? 0);
  if (entries <= 0) return undefined;
  if (bytes.length >= 2 * entries) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return Array.from({ length: entries }, (_, i) => view.getUint16(2 * i, true));
  }
  if (descriptor[2] === 8 && bytes.length === entries) return Array.from(bytes);
  return undefined;
}

async function bytesOf(attribute: DicomAttribute, fetchBulk: FetchBulkData): Promise<Uint8Array | undefined> {
  if (attribute.InlineBinary !== undefined) return base64Bytes(attribute.InlineBinary);
  if (attribute.BulkDataURI !== undefined) return fetchBulk(attribute.BulkDataURI);
  return undefined;
}

/**
 * The instance with its palette tables as numbers in `Value`, or the instance itself when it is
 * not PALETTE COLOR or already has them. A table that cannot be read is left as it came: the frame
 * is then reported unreadable (cornerstone/decode-check.ts) rather than drawn wrong.
 */
export async function withPaletteTables(ds: DicomJson, fetchBulk: FetchBulkData): Promise<DicomJson> {
  if (!isPaletteColor(ds)) return ds;
  const out: DicomJson = { ...ds };
  await Promise.all(
    TABLES.map(async ([descriptorTag, dataTag]) => {
      const attribute = ds[dataTag] ?? ds[dataTag.toLowerCase()];
      const descriptor = getNumbers(ds, descriptorTag);
      if (!attribute || attribute.Value || !descriptor) return;
      const bytes = await bytesOf(attribute, fetchBulk).catch(() => undefined);
      const values = bytes && tableEntries(bytes, descriptor);
      if (values) out[dataTag] = { vr: attribute.vr ?? 'OW', Value: values };
    }),
  );
  return out;
}
