import type { EntityManager } from '@mikro-orm/postgresql';
import type { Storage } from '../../infra/storage/storage.js';
import { ENCAPSULATED_PDF_SOP_CLASS, inflateDataSet, parsePart10 } from '../dicom/index.js';

/**
 * The PDF inside a stored Encapsulated PDF instance, read by the byte range recorded at STOW time
 * (no parsing), or null when no such instance is held. It does NOT authorise: the caller (the
 * portal's document route) has already decided that the viewer may open this document.
 */
export async function readEncapsulatedPdf(em: EntityManager, storage: Storage, sopInstanceUid: string): Promise<Buffer | null> {
  const [row] = await em.execute<{ storage_key: string; offset: string | null; length: string | null }[]>(
    `select storage_key, encapsulated_document_offset as offset, encapsulated_document_length as length
       from dicom_instance where sop_instance_uid = ? and sop_class_uid = ?`,
    [sopInstanceUid, ENCAPSULATED_PDF_SOP_CLASS],
  );
  if (!row) return null;
  if (row.offset !== null && row.length !== null) return storage.readRanges(row.storage_key, [[Number(row.offset), Number(row.length)]]);
  // Deflated instances: the recorded offsets would point into compressed bytes, so none were kept.
  const bytes = await storage.readAll(row.storage_key);
  const parsed = parsePart10(bytes);
  const range = parsed.encapsulatedDocument?.range;
  if (!range) return null;
  const source = parsed.framesRequireInflate ? inflateDataSet(bytes) : bytes;
  return Buffer.from(source.subarray(range.offset, range.offset + range.length));
}
