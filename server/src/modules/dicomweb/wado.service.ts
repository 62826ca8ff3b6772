import type { EntityManager } from '@mikro-orm/postgresql';
import type { Readable } from 'node:stream';
import type { Viewer } from '../../graphql/context.js';
import type { Storage } from '../../infra/storage/storage.js';
import { extractFrame, inflateDataSet, parsePart10 } from '../dicom/index.js';
import { authorizeStudyRead, readableStudyCondition, readScopeOf } from './dicomweb-access.service.js';
import { badRequest, notFound } from './dicomweb-error.js';
import { PIXEL_DATA_PATHS } from './dicomweb-paths.js';
import { pgArray } from './pg-array.js';

/** A study, a series of it, or an instance of that series. UIDs are already validated. */
export interface ResourceRef {
  study: string;
  series?: string;
  instance?: string;
}

export interface StoredInstance {
  sopInstanceUid: string;
  transferSyntaxUid: string;
  storageKey: string;
  size: number;
}

function scopeSql(studyId: string, ref: ResourceRef): { sql: string; params: unknown[] } {
  const params: unknown[] = [studyId];
  let sql = 'se.study_id = ?';
  if (ref.series !== undefined) {
    sql += ' and se.series_instance_uid = ?';
    params.push(ref.series);
  }
  if (ref.instance !== undefined) {
    sql += ' and i.sop_instance_uid = ?';
    params.push(ref.instance);
  }
  return { sql, params };
}

const INSTANCE_ORDER = 'se.series_number nulls last, se.series_instance_uid, i.instance_number nulls last, i.sop_instance_uid';

/** The stored files of a study, series or instance the viewer may read (WADO-RS retrieve, WADO-URI). */
export async function instancesToRetrieve(em: EntityManager, viewer: Viewer, ref: ResourceRef): Promise<StoredInstance[]> {
  const study = await authorizeStudyRead(em, viewer, ref.study);
  const scope = scopeSql(study.id, ref);
  const rows = await em.execute<{ sop_instance_uid: string; transfer_syntax_uid: string; storage_key: string; size: string }[]>(
    `select i.sop_instance_uid, i.transfer_syntax_uid, i.storage_key, i.size
       from dicom_instance i join dicom_series se on se.id = i.series_id
      where ${scope.sql} order by ${INSTANCE_ORDER}`,
    scope.params,
  );
  if (rows.length === 0) throw notFound();
  return rows.map((r) => ({ sopInstanceUid: r.sop_instance_uid, transferSyntaxUid: r.transfer_syntax_uid, storageKey: r.storage_key, size: Number(r.size) }));
}

/**
 * WADO-RS metadata: the instances' DICOM JSON, as one JSON array text. BulkDataURIs are stored
 * relative to the DICOMweb root and made absolute with `rootUrl` (ending in '/').
 */
export async function metadataOf(em: EntityManager, viewer: Viewer, ref: ResourceRef, rootUrl: string): Promise<string> {
  const study = await authorizeStudyRead(em, viewer, ref.study);
  const scope = scopeSql(study.id, ref);
  const rows = await em.execute<{ metadata: string }[]>(
    `select i.metadata::text as metadata
       from dicom_instance i join dicom_series se on se.id = i.series_id
      where ${scope.sql} order by ${INSTANCE_ORDER}`,
    scope.params,
  );
  if (rows.length === 0) throw notFound();
  // PostgreSQL prints jsonb as `"key": "value"`; inside a string value the quotes would be escaped,
  // so this prefix only ever meets real BulkDataURI members.
  const absolute = JSON.stringify(rootUrl).slice(1, -1);
  return `[${rows.map((r) => r.metadata.replaceAll('"BulkDataURI": "', `"BulkDataURI": "${absolute}`)).join(',')}]`;
}

/** Frame numbers from the `{frames}` path segment: 1-based, comma-separated (PS3.18 10.4.1.1.4). */
export function parseFrameList(list: string): number[] {
  const numbers = list.split(',').map((s) => s.trim());
  if (numbers.length === 0 || numbers.length > 10_000 || numbers.some((s) => !/^[1-9][0-9]{0,8}$/.test(s))) {
    throw badRequest('Frame numbers must be positive integers separated by commas');
  }
  return numbers.map(Number);
}

export interface Frames {
  transferSyntaxUid: string;
  count: number;
  /** Reads the frames' bytes, in the order asked (only called once negotiation succeeded). */
  read(): Promise<Buffer[]>;
}

interface FrameRow {
  storage_key: string;
  transfer_syntax_uid: string;
  frames_need_extraction: boolean;
  number_of_frames: number;
  selected: Array<Array<[number, number]> | null> | null;
}

/**
 * Frames of one instance by number (1-based), read by byte range from the stored file: the
 * index holds every frame's ranges, so nothing is parsed. `numbers` undefined means all frames
 * (pixel data as bulk data).
 */
export async function framesOf(em: EntityManager, storage: Storage, viewer: Viewer, ref: Required<ResourceRef>, numbers: number[] | undefined): Promise<Frames> {
  // The hot path of every viewer: the read rule joins the frame lookup (one round trip, not two).
  const readable = readableStudyCondition(readScopeOf(viewer), 'st.study_instance_uid');
  const [row] = await em.execute<FrameRow[]>(
    `select i.storage_key, i.transfer_syntax_uid, i.frames_need_extraction, i.number_of_frames,
            ${numbers === undefined ? 'i.frames' : '(select jsonb_agg(i.frames -> (t.n - 1) order by t.ord) from unnest(?::int[]) with ordinality t(n, ord))'} as selected
       from dicom_instance i join dicom_series se on se.id = i.series_id join dicom_study st on st.id = se.study_id
      where st.study_instance_uid = ? and se.series_instance_uid = ? and i.sop_instance_uid = ? and ${readable.sql}`,
    [...(numbers === undefined ? [] : [pgArray(numbers)]), ref.study, ref.series, ref.instance, ...readable.params],
  );
  if (!row) throw notFound();
  const selected = row.selected ?? [];
  // An instance without pixel data has no frames; a frame number past the last one does not exist.
  if (selected.length === 0 || selected.some((f) => f === null)) throw notFound();
  const ranges = selected as Array<Array<[number, number]>>;
  const indexes = numbers?.map((n) => n - 1) ?? ranges.map((_, i) => i);
  return {
    transferSyntaxUid: row.transfer_syntax_uid,
    count: ranges.length,
    read: async () => {
      if (row.frames_need_extraction) {
        const bytes = await storage.readAll(row.storage_key);
        const parsed = parsePart10(bytes);
        return indexes.map((i) => extractFrame(bytes, parsed, i));
      }
      const all = await storage.readRanges(row.storage_key, ranges.flat());
      const frames: Buffer[] = [];
      let at = 0;
      for (const frame of ranges) {
        const length = frame.reduce((n, [, len]) => n + len, 0);
        frames.push(all.subarray(at, at + length));
        at += length;
      }
      return frames;
    },
  };
}

export type BulkData = { kind: 'frames'; frames: Frames } | { kind: 'value'; read(): Promise<Buffer> };

/** The value a metadata BulkDataURI points at: pixel data as its frames, anything else as its bytes. */
export async function bulkDataOf(em: EntityManager, storage: Storage, viewer: Viewer, ref: Required<ResourceRef>, path: string): Promise<BulkData> {
  if (!/^[0-9A-F]{8}(\/[0-9]{1,6}\/[0-9A-F]{8})*$/.test(path)) throw badRequest('Invalid bulk data path');
  if (PIXEL_DATA_PATHS.has(path)) return { kind: 'frames', frames: await framesOf(em, storage, viewer, ref, undefined) };
  const study = await authorizeStudyRead(em, viewer, ref.study);
  const [row] = await em.execute<{ storage_key: string; range: [number, number] | null; deflated: boolean }[]>(
    `select i.storage_key, i.bulk_data -> ? as range, i.transfer_syntax_uid = '1.2.840.10008.1.2.1.99' as deflated
       from dicom_instance i join dicom_series se on se.id = i.series_id
      where se.study_id = ? and se.series_instance_uid = ? and i.sop_instance_uid = ?`,
    [path, study.id, ref.series, ref.instance],
  );
  const range = row?.range;
  if (!row || !range) throw notFound();
  return {
    kind: 'value',
    read: async () => {
      if (!row.deflated) return storage.readRanges(row.storage_key, [range]);
      // Offsets of a deflated instance point into its inflated data set.
      const inflated = inflateDataSet(await storage.readAll(row.storage_key));
      return Buffer.from(inflated.subarray(range[0], range[0] + range[1]));
    },
  };
}

/** Streams one stored file (Readable over its bytes). */
export function readInstance(storage: Storage, instance: StoredInstance): Readable {
  return storage.read(instance.storageKey);
}
