import { getString, Tag, type DicomJson } from '../dicomweb/dicomJson';
import { withPaletteTables, type FetchBulkData } from '../dicomweb/paletteTables';
import { buildStack, readSeriesInfo, type StackSeries } from '../dicomweb/studyModel';

/**
 * A study's WADO-RS metadata as the series the viewer offers, in series-number order, each
 * instance's metadata ready for Cornerstone's loader (palette tables as values, paletteTables.ts).
 */
export async function studySeries(
  metadata: DicomJson[],
  frameUrlBase: (seriesUid: string, sopInstanceUid: string) => string,
  fetchBulk: FetchBulkData,
): Promise<StackSeries[]> {
  const instances = await Promise.all(metadata.map((ds) => withPaletteTables(ds, fetchBulk)));
  const bySeries = new Map<string, DicomJson[]>();
  for (const ds of instances) {
    const uid = getString(ds, Tag.SeriesInstanceUID);
    if (!uid) continue;
    const list = bySeries.get(uid);
    if (list) list.push(ds);
    else bySeries.set(uid, [ds]);
  }
  const infos = [...bySeries.values()].map((list) => readSeriesInfo(list[0] as DicomJson)).filter((s) => s !== undefined);
  infos.sort((a, b) => (a.seriesNumber ?? Infinity) - (b.seriesNumber ?? Infinity));
  return infos
    .map((info) => buildStack(info, bySeries.get(info.seriesUid) ?? [], (sop) => frameUrlBase(info.seriesUid, sop)))
    .filter((s) => s !== undefined);
}
