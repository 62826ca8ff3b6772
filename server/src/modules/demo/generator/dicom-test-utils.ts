/** Readers used by the generator specs to check files with independent DICOM parsers. */
import { parseDicom, type DataSet } from 'dicom-parser';

export function parse(data: Buffer): DataSet {
  return parseDicom(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/** Text of an element decoded as UTF-8 (dicom-parser itself ignores SpecificCharacterSet). */
export function utf8(ds: DataSet, tag: string): string | undefined {
  const e = ds.elements[tag];
  if (!e) return undefined;
  return new TextDecoder('utf-8').decode(ds.byteArray.subarray(e.dataOffset, e.dataOffset + e.length)).replace(/[ \0]+$/, '');
}

interface Dcmjs {
  data: {
    DicomMessage: { readFile(buffer: ArrayBuffer): { meta: Record<string, unknown>; dict: Record<string, unknown> } };
    DicomMetaDictionary: { naturalizeDataset(dict: Record<string, unknown>): Record<string, unknown> };
  };
}

/** dcmjs ships no types: load it by a computed name so only this file needs to know its shape. */
export async function readWithDcmjs(data: Buffer): Promise<{ meta: Record<string, unknown>; dataset: Record<string, unknown> }> {
  const name = 'dcmjs';
  const mod = (await import(name)) as { default?: Dcmjs } & Partial<Dcmjs>;
  const dcmjs = (mod.default ?? mod) as Dcmjs;
  const ab = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  const file = dcmjs.data.DicomMessage.readFile(ab);
  return {
    meta: dcmjs.data.DicomMetaDictionary.naturalizeDataset(file.meta),
    dataset: dcmjs.data.DicomMetaDictionary.naturalizeDataset(file.dict),
  };
}
