import type { DataSet } from 'dicom-parser';
import type { DicomJsonDataSet, ParsedInstance } from '../dicom/index.js';

/** Resource paths relative to the DICOMweb root (`<PUBLIC_URL>/dicomweb/`). */
export const studyPath = (study: string): string => `studies/${study}`;
export const seriesPath = (study: string, series: string): string => `${studyPath(study)}/series/${series}`;
export const instancePath = (study: string, series: string, instance: string): string => `${seriesPath(study, series)}/instances/${instance}`;

/** Pixel data is served as frames; its BulkDataURI path is one of these tags. */
export const PIXEL_DATA_PATHS: ReadonlySet<string> = new Set(['7FE00010', '7FE00008', '7FE00009']);

// eslint-disable-next-line no-control-regex -- any code point above U+007F
const NON_ASCII = /[^\x00-\x7f]/;

/** Lower case, accents removed: the form patient names are compared in (QIDO PatientName). */
export function searchForm(name: string): string {
  // ASCII (nearly every name) is its own NFD form and holds no combining mark: the Unicode
  // normalisation and the \p{M} scan (~60 µs per STOW instance in the profile) are skipped.
  return (NON_ASCII.test(name) ? name.normalize('NFD').replace(/\p{M}/gu, '') : name)
    .toLowerCase()
    .split('=')
    .map((group) => group.replace(/\^+$/, ''))
    .join('=');
}

/**
 * Where each BulkDataURI of the metadata points in the file: path (`00420011`,
 * `00540016/0/00181074`) → [offset, length]. Pixel data is left out (frames serve it).
 */
export function bulkDataRanges(parsed: ParsedInstance, metadata: DicomJsonDataSet): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  const visit = (json: DicomJsonDataSet, dataSet: DataSet, prefix: string): void => {
    for (const tag in json) {
      const attribute = json[tag]!;
      // Only bulk data and sequences (which may hold some) locate anything: most attributes are neither.
      if (attribute.BulkDataURI === undefined && attribute.vr !== 'SQ') continue;
      const element = dataSet.elements[`x${tag.toLowerCase()}`];
      if (!element) continue;
      const path = prefix ? `${prefix}/${tag}` : tag;
      if (attribute.BulkDataURI !== undefined && !(prefix === '' && PIXEL_DATA_PATHS.has(tag))) {
        out[path] = [element.dataOffset, element.length];
      }
      if (attribute.vr === 'SQ' && attribute.Value) {
        attribute.Value.forEach((item, i) => {
          const itemDataSet = element.items?.[i]?.dataSet;
          if (itemDataSet && item && typeof item === 'object') visit(item as DicomJsonDataSet, itemDataSet, `${path}/${i}`);
        });
      }
    }
  };
  visit(metadata, parsed.dataSet, '');
  return out;
}
