import { TAGS_BY_VR } from './dictionary.generated.js';

let vrByTag: Map<string, string> | undefined;

function table(): Map<string, string> {
  if (!vrByTag) {
    vrByTag = new Map();
    for (const [vr, tags] of Object.entries(TAGS_BY_VR)) {
      for (const tag of tags.split(' ')) vrByTag.set(tag, vr);
    }
  }
  return vrByTag;
}

/**
 * The dictionary VR of a tag written `GGGGEEEE` (upper or lower case, with or without dicom-parser's
 * leading `x`). Ambiguous entries come back as `US|SS`, `OB|OW` or `US|OW`; unknown (private)
 * tags as undefined. Group lengths and private creators are resolved by rule (PS3.5 7.2, 7.8.1).
 */
export function dictionaryVr(tag: string): string | undefined {
  const key = (tag.length === 9 ? tag.slice(1) : tag).toUpperCase();
  const exact = table().get(key);
  if (exact) return exact;
  const group = Number.parseInt(key.slice(0, 4), 16);
  const element = Number.parseInt(key.slice(4), 16);
  if (element === 0) return 'UL';
  if (group % 2 === 1) return element >= 0x10 && element <= 0xff ? 'LO' : undefined;
  const prefix = key.slice(0, 2);
  if (prefix === '50' || prefix === '60' || prefix === '7F') return table().get(`${prefix}xx${key.slice(4)}`);
  return undefined;
}

/**
 * Resolves an ambiguous dictionary VR the way PS3.5 Annex A.1 (c) prescribes for implicit VR:
 * pixel-value attributes follow PixelRepresentation, PixelData and LUT data are OW.
 */
export function resolveAmbiguousVr(vr: string, pixelRepresentation: number | undefined): string {
  switch (vr) {
    case 'US|SS':
      return pixelRepresentation === 1 ? 'SS' : 'US';
    case 'OB|OW':
    case 'US|OW':
      return 'OW';
    default:
      return vr;
  }
}
