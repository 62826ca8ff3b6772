import type { DicomJsonAttribute, DicomJsonDataSet } from '../dicom/index.js';

/**
 * What a renderer needs to know of an image (PS3.3 C.7.6.3 Image Pixel, C.11 LUTs), read from
 * the instance's stored DICOM JSON. Lookup table data is resolved by the caller (inline or bulk
 * data) so this stays a plain, transferable object.
 */
export interface PixelModule {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  pixelRepresentation: 0 | 1;
  photometric: string;
  planarConfiguration: 0 | 1;
  numberOfFrames: number;
  rescaleSlope: number;
  rescaleIntercept: number;
  windowCenter: number | undefined;
  windowWidth: number | undefined;
  voiLutFunction: 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';
  /** PALETTE COLOR: red, green and blue tables, with their descriptors. */
  palette: Palette | undefined;
}

export interface LutDescriptor {
  entries: number;
  firstMapped: number;
  bits: number;
}

export interface Palette {
  red: { descriptor: LutDescriptor; data: Uint16Array };
  green: { descriptor: LutDescriptor; data: Uint16Array };
  blue: { descriptor: LutDescriptor; data: Uint16Array };
}

export const Tag = {
  SamplesPerPixel: '00280002',
  Photometric: '00280004',
  PlanarConfiguration: '00280006',
  NumberOfFrames: '00280008',
  Rows: '00280010',
  Columns: '00280011',
  BitsAllocated: '00280100',
  BitsStored: '00280101',
  HighBit: '00280102',
  PixelRepresentation: '00280103',
  WindowCenter: '00281050',
  WindowWidth: '00281051',
  RescaleIntercept: '00281052',
  RescaleSlope: '00281053',
  VoiLutFunction: '00281056',
  RedDescriptor: '00281101',
  GreenDescriptor: '00281102',
  BlueDescriptor: '00281103',
  RedData: '00281201',
  GreenData: '00281202',
  BlueData: '00281203',
} as const;

export class PixelModuleError extends Error {
  override name = 'PixelModuleError';
}

function first(json: DicomJsonDataSet, tag: string): unknown {
  const value = json[tag]?.Value;
  return Array.isArray(value) ? value[0] : undefined;
}

function num(json: DicomJsonDataSet, tag: string): number | undefined {
  const v = first(json, tag);
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

function str(json: DicomJsonDataSet, tag: string): string | undefined {
  const v = first(json, tag);
  return typeof v === 'string' ? v.trim().toUpperCase() : undefined;
}

function descriptor(json: DicomJsonDataSet, tag: string): LutDescriptor | undefined {
  const values = json[tag]?.Value;
  if (!Array.isArray(values) || values.length < 3) return undefined;
  const [entries, firstMapped, bits] = values.map(Number);
  if (entries === undefined || firstMapped === undefined || bits === undefined) return undefined;
  // PS3.3 C.7.6.3.1.5: 0 entries means 65,536; the first mapped value is signed when the pixels are.
  return { entries: entries === 0 ? 65_536 : entries, firstMapped, bits };
}

/** Lookup table data as 16-bit words, from the JSON's InlineBinary or a caller-supplied reader. */
export type LutDataReader = (tag: string, attribute: DicomJsonAttribute) => Promise<Buffer>;

export async function pixelModuleOf(json: DicomJsonDataSet, readLutData: LutDataReader): Promise<PixelModule> {
  const rows = num(json, Tag.Rows);
  const columns = num(json, Tag.Columns);
  const bitsAllocated = num(json, Tag.BitsAllocated);
  if (!rows || !columns || !bitsAllocated) throw new PixelModuleError('The instance has no image (Rows, Columns or BitsAllocated missing)');
  const bitsStored = num(json, Tag.BitsStored) ?? bitsAllocated;
  const photometric = str(json, Tag.Photometric) ?? 'MONOCHROME2';
  const pm: PixelModule = {
    rows,
    columns,
    samplesPerPixel: num(json, Tag.SamplesPerPixel) ?? 1,
    bitsAllocated,
    bitsStored,
    highBit: num(json, Tag.HighBit) ?? bitsStored - 1,
    pixelRepresentation: num(json, Tag.PixelRepresentation) === 1 ? 1 : 0,
    photometric,
    planarConfiguration: num(json, Tag.PlanarConfiguration) === 1 ? 1 : 0,
    numberOfFrames: Math.max(1, num(json, Tag.NumberOfFrames) ?? 1),
    rescaleSlope: num(json, Tag.RescaleSlope) ?? 1,
    rescaleIntercept: num(json, Tag.RescaleIntercept) ?? 0,
    windowCenter: num(json, Tag.WindowCenter),
    windowWidth: num(json, Tag.WindowWidth),
    voiLutFunction: (['LINEAR_EXACT', 'SIGMOID'] as const).find((f) => f === str(json, Tag.VoiLutFunction)) ?? 'LINEAR',
    palette: undefined,
  };
  if (pm.rescaleSlope === 0) pm.rescaleSlope = 1;
  if (photometric === 'PALETTE COLOR') {
    const table = async (descTag: string, dataTag: string) => {
      const desc = descriptor(json, descTag);
      const attribute = json[dataTag];
      if (!desc || !attribute) throw new PixelModuleError('A PALETTE COLOR image without its lookup tables');
      const bytes = await readLutData(dataTag, attribute);
      const words = new Uint16Array(bytes.length >> 1);
      for (let i = 0; i < words.length; i++) words[i] = bytes.readUInt16LE(i * 2);
      return { descriptor: desc, data: words };
    };
    pm.palette = {
      red: await table(Tag.RedDescriptor, Tag.RedData),
      green: await table(Tag.GreenDescriptor, Tag.GreenData),
      blue: await table(Tag.BlueDescriptor, Tag.BlueData),
    };
  }
  return pm;
}

/** InlineBinary as bytes (DICOM JSON carries little endian base64). */
export function inlineBinary(attribute: DicomJsonAttribute): Buffer | undefined {
  return attribute.InlineBinary === undefined ? undefined : Buffer.from(attribute.InlineBinary, 'base64');
}
