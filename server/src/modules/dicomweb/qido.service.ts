import type { EntityManager } from '@mikro-orm/postgresql';
import { instanceLevelJson, seriesLevelJson, studyLevelJson, type DicomJsonDataSet } from '../dicom/index.js';
import { queryReadableStudy, readableStudiesCondition, type ReadScope } from './dicomweb-access.service.js';
import { badRequest } from './dicomweb-error.js';
import { instancePath, searchForm, seriesPath, studyPath } from './dicomweb-paths.js';
import { pgArray } from './pg-array.js';

/**
 * QIDO-RS (PS3.18 10.6) over the index, never over files. Every condition is a bound parameter;
 * readable studies are a condition of the query itself, so what a caller may not read is neither
 * returned nor counted.
 */

type Query = Record<string, unknown>;

/** Keywords accepted as matching keys and in includefield, with their tags. */
const KEYWORDS: Record<string, string> = {
  SpecificCharacterSet: '00080005', SOPClassUID: '00080016', SOPInstanceUID: '00080018', StudyDate: '00080020',
  SeriesDate: '00080021', AcquisitionDate: '00080022', ContentDate: '00080023', StudyTime: '00080030', SeriesTime: '00080031',
  ContentTime: '00080033', AccessionNumber: '00080050', Modality: '00080060', ModalitiesInStudy: '00080061',
  Manufacturer: '00080070', InstitutionName: '00080080', ReferringPhysicianName: '00080090', StationName: '00081010',
  StudyDescription: '00081030', SeriesDescription: '0008103E', InstitutionalDepartmentName: '00081040',
  PerformingPhysicianName: '00081050', NameOfPhysiciansReadingStudy: '00081060', ManufacturerModelName: '00081090',
  PatientName: '00100010', PatientID: '00100020', IssuerOfPatientID: '00100021', PatientBirthDate: '00100030',
  PatientSex: '00100040', OtherPatientIDs: '00101000', PatientAge: '00101010', PatientSize: '00101020', PatientWeight: '00101030',
  BodyPartExamined: '00180015', SliceThickness: '00180050', ProtocolName: '00181030', StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E', StudyID: '00200010', SeriesNumber: '00200011', InstanceNumber: '00200013',
  ImagePositionPatient: '00200032', ImageOrientationPatient: '00200037', FrameOfReferenceUID: '00200052',
  NumberOfStudyRelatedSeries: '00201206', NumberOfStudyRelatedInstances: '00201208', NumberOfSeriesRelatedInstances: '00201209',
  SamplesPerPixel: '00280002', PhotometricInterpretation: '00280004', NumberOfFrames: '00280008', Rows: '00280010',
  Columns: '00280011', PixelSpacing: '00280030', BitsAllocated: '00280100', BitsStored: '00280101',
  PixelRepresentation: '00280103', WindowCenter: '00281050', WindowWidth: '00281051', RescaleIntercept: '00281052',
  RescaleSlope: '00281053', DocumentTitle: '00420010', MIMETypeOfEncapsulatedDocument: '00420012',
};

/** The attributes `includefield=all` adds at study and series level (PS3.18 Table 10.6.3-3/4 and their modules). */
const STUDY_LEVEL_PREFIXES = ['0010'];
const STUDY_LEVEL_TAGS = new Set(['00080020', '00080030', '00080050', '00080080', '00080090', '00081030', '00081060', '0020000D', '00200010']);
const SERIES_LEVEL_TAGS = new Set(['00080021', '00080031', '00080060', '00080070', '0008103E', '00081050', '00081090', '00180015', '00181030', '0020000E', '00200011', '00200052']);

function tagOf(key: string): string | undefined {
  if (/^[0-9A-Fa-f]{8}$/.test(key)) return key.toUpperCase();
  return KEYWORDS[key];
}

/** Every value of a query parameter, splitting lists given with commas (PS3.18 8.3.4.1). */
function values(query: Query, tag: string): string[] {
  const out: string[] = [];
  for (const [key, raw] of Object.entries(query)) {
    if (tagOf(key) !== tag) continue;
    for (const v of Array.isArray(raw) ? raw : [raw]) {
      if (typeof v !== 'string') throw badRequest(`Invalid value for ${key}`);
      if (v.length > 1024) throw badRequest(`The value of ${key} is too long`);
      out.push(...v.split(/[,\\]/).map((s) => s.trim()).filter((s) => s !== ''));
    }
  }
  return out;
}

function single(query: Query, tag: string, name: string): string | undefined {
  const all = values(query, tag);
  if (all.length > 1) throw badRequest(`${name} takes a single value`);
  return all[0];
}

/** `*` and `?` wildcards as a LIKE pattern, everything else literal. */
function likePattern(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%').replace(/\?/g, '_');
}

class Conditions {
  readonly sql: string[] = [];
  readonly params: unknown[] = [];
  add(sql: string, ...params: unknown[]): void {
    this.sql.push(sql);
    this.params.push(...params);
  }
  text(column: string, value: string | undefined): void {
    if (value === undefined) return;
    if (/[*?]/.test(value)) this.add(`${column} like ? escape '\\'`, likePattern(value));
    else this.add(`${column} = ?`, value);
  }
  uids(column: string, list: string[], name: string): void {
    if (list.length === 0) return;
    if (list.some((u) => u.length > 64 || !/^[0-9]+(\.[0-9]+)*$/.test(u))) throw badRequest(`${name} holds an invalid UID`);
    this.add(`${column} = any(?::text[])`, pgArray(list));
  }
  where(): string {
    return this.sql.length ? this.sql.join(' and ') : 'true';
  }
}

function paging(query: Query): { limit: number; offset: number } {
  const num = (name: string, fallback: number, max: number): number => {
    const raw = query[name];
    if (raw === undefined) return fallback;
    if (typeof raw !== 'string' || !/^[0-9]{1,9}$/.test(raw)) throw badRequest(`${name} must be a non-negative integer`);
    return Math.min(Number(raw), max);
  };
  return { limit: num('limit', 1000, 1000), offset: num('offset', 0, 1_000_000_000) };
}

/** `includefield`: tags to add from a representative instance's metadata, or 'all'. */
function includeFields(query: Query): { all: boolean; tags: Set<string> } {
  const raw = query.includefield;
  const list = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).flatMap((v) => {
    if (typeof v !== 'string') throw badRequest('Invalid includefield');
    return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  });
  const tags = new Set<string>();
  let all = false;
  for (const item of list) {
    if (item === 'all') {
      all = true;
      continue;
    }
    const tag = tagOf(item);
    if (!tag) throw badRequest(`Unknown attribute in includefield: ${item.slice(0, 64)}`);
    tags.add(tag);
  }
  return { all, tags };
}

/** StudyDate: YYYYMMDD, or a range with either end open (PS3.4 C.2.2.2.5). */
function dateRange(value: string | undefined, conditions: Conditions, column: string): void {
  if (value === undefined) return;
  const m = /^(\d{8})?(-)?(\d{8})?$/.exec(value);
  if (!m || (!m[1] && !m[3])) throw badRequest('StudyDate must be YYYYMMDD or a range YYYYMMDD-YYYYMMDD');
  const [, from, dash, to] = m;
  if (!dash) {
    conditions.add(`${column} = ?`, from);
    return;
  }
  if (from) conditions.add(`${column} >= ?`, from);
  if (to) conditions.add(`${column} <= ?`, to);
}

function withIncluded(result: DicomJsonDataSet, metadata: DicomJsonDataSet | undefined, include: { all: boolean; tags: Set<string> }, level: 'study' | 'series' | 'instance'): DicomJsonDataSet {
  if (!metadata) return result;
  const out = { ...result };
  for (const [tag, attribute] of Object.entries(metadata)) {
    if (tag in out || attribute.BulkDataURI !== undefined || attribute.InlineBinary !== undefined) continue;
    const byLevel =
      level === 'instance' ||
      (level === 'study' ? STUDY_LEVEL_TAGS.has(tag) || STUDY_LEVEL_PREFIXES.includes(tag.slice(0, 4)) : SERIES_LEVEL_TAGS.has(tag));
    if (include.tags.has(tag) || (include.all && byLevel)) out[tag] = attribute;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

const wantsMetadata = (include: { all: boolean; tags: Set<string> }): boolean => include.all || include.tags.size > 0;

interface StudyDbRow {
  id: string;
  study_instance_uid: string;
  patient_name: string | null;
  patient_id: string | null;
  patient_birth_date: string | null;
  patient_sex: string | null;
  study_date: string | null;
  study_time: string | null;
  accession_number: string | null;
  study_description: string | null;
  study_id: string | null;
  referring_physician_name: string | null;
  modalities: string[];
  series_count: number;
  instance_count: number;
}

/** GET /studies */
export async function queryStudies(em: EntityManager, scope: ReadScope, query: Query, rootUrl: string): Promise<DicomJsonDataSet[]> {
  const c = new Conditions();
  const readable = readableStudiesCondition(scope, 'st.study_instance_uid');
  c.add(readable.sql, ...readable.params);
  c.uids('st.study_instance_uid', values(query, '0020000D'), 'StudyInstanceUID');
  c.text('st.patient_id', single(query, '00100020', 'PatientID'));
  c.text('st.accession_number', single(query, '00080050', 'AccessionNumber'));
  const name = single(query, '00100010', 'PatientName');
  if (name !== undefined) {
    // Case- and accent-insensitive on the whole name or on any of its component groups.
    const pattern = likePattern(searchForm(name));
    c.add(
      `(st.patient_name_search like ? escape '\\' or split_part(st.patient_name_search, '=', 1) like ? escape '\\'
        or split_part(st.patient_name_search, '=', 2) like ? escape '\\' or split_part(st.patient_name_search, '=', 3) like ? escape '\\')`,
      pattern, pattern, pattern, pattern,
    );
  }
  dateRange(single(query, '00080020', 'StudyDate'), c, 'st.study_date');
  const modalities = values(query, '00080061');
  if (modalities.length) c.add('st.modalities && ?::text[]', pgArray(modalities));
  const { limit, offset } = paging(query);
  const include = includeFields(query);
  const rows = await em.execute<StudyDbRow[]>(
    `select st.*,
            (select count(*)::int from dicom_series se where se.study_id = st.id) as series_count,
            (select count(*)::int from dicom_instance i join dicom_series se on se.id = i.series_id where se.study_id = st.id) as instance_count
       from dicom_study st
      where ${c.where()}
      order by st.study_date desc nulls last, st.study_time desc nulls last, st.study_instance_uid
      limit ? offset ?`,
    [...c.params, limit, offset],
  );
  const metadata = wantsMetadata(include) ? await representativeMetadata(em, 'se.study_id', rows.map((r) => r.id)) : new Map();
  return rows.map((r) =>
    withIncluded(
      studyLevelJson({
        studyInstanceUid: r.study_instance_uid,
        studyDate: r.study_date,
        studyTime: r.study_time,
        accessionNumber: r.accession_number,
        modalitiesInStudy: r.modalities,
        referringPhysicianName: r.referring_physician_name,
        patientName: r.patient_name,
        patientId: r.patient_id,
        patientBirthDate: r.patient_birth_date,
        patientSex: r.patient_sex,
        studyId: r.study_id,
        studyDescription: r.study_description,
        numberOfStudyRelatedSeries: r.series_count,
        numberOfStudyRelatedInstances: r.instance_count,
        retrieveUrl: rootUrl + studyPath(r.study_instance_uid),
      }),
      metadata.get(r.id),
      include,
      'study',
    ),
  );
}

/** A row of a query over one study: `id` is null when the study is readable but nothing matched. */
type NullableRow<T extends { id: string }> = Omit<T, 'id'> & { id: string | null };

interface SeriesDbRow {
  id: string;
  series_instance_uid: string;
  modality: string | null;
  series_number: number | null;
  series_description: string | null;
  instance_count: number;
}

/** GET /studies/{study}/series */
export async function querySeries(em: EntityManager, scope: ReadScope, studyUid: string, query: Query, rootUrl: string): Promise<DicomJsonDataSet[]> {
  const c = new Conditions();
  c.add('se.study_id = st.id');
  c.uids('se.series_instance_uid', values(query, '0020000E'), 'SeriesInstanceUID');
  c.text('se.modality', single(query, '00080060', 'Modality'));
  const number = single(query, '00200011', 'SeriesNumber');
  if (number !== undefined) {
    if (!/^-?[0-9]{1,9}$/.test(number)) throw badRequest('SeriesNumber must be an integer');
    c.add('se.series_number = ?', Number(number));
  }
  const { limit, offset } = paging(query);
  const include = includeFields(query);
  const rows = await queryReadableStudy<NullableRow<SeriesDbRow>>(em, scope, studyUid, {
    sql: `select se.id, se.series_instance_uid, se.modality, se.series_number, se.series_description,
                 (select count(*)::int from dicom_instance i where i.series_id = se.id) as instance_count
            from dicom_series se
           where ${c.where()}
           order by se.series_number nulls last, se.series_instance_uid
           limit ? offset ?`,
    params: [...c.params, limit, offset],
    orderBy: 'r.series_number nulls last, r.series_instance_uid',
  });
  const metadata = wantsMetadata(include) ? await representativeMetadata(em, 'se.id', rows.map((r) => r.id)) : new Map();
  return rows.map((r) =>
    withIncluded(
      seriesLevelJson({
        studyInstanceUid: studyUid,
        seriesInstanceUid: r.series_instance_uid,
        modality: r.modality,
        seriesNumber: r.series_number,
        seriesDescription: r.series_description,
        numberOfSeriesRelatedInstances: r.instance_count,
        retrieveUrl: rootUrl + seriesPath(studyUid, r.series_instance_uid),
      }),
      metadata.get(r.id),
      include,
      'series',
    ),
  );
}

interface InstanceDbRow {
  id: string;
  sop_class_uid: string;
  sop_instance_uid: string;
  instance_number: number | null;
  rows: number | null;
  columns: number | null;
  number_of_frames: number;
  metadata?: DicomJsonDataSet;
}

/** GET /studies/{study}/series/{series}/instances */
export async function queryInstances(
  em: EntityManager,
  scope: ReadScope,
  studyUid: string,
  seriesUid: string,
  query: Query,
  rootUrl: string,
): Promise<DicomJsonDataSet[]> {
  const c = new Conditions();
  c.add('se.study_id = st.id and se.series_instance_uid = ?', seriesUid);
  c.uids('i.sop_instance_uid', values(query, '00080018'), 'SOPInstanceUID');
  c.uids('i.sop_class_uid', values(query, '00080016'), 'SOPClassUID');
  const number = single(query, '00200013', 'InstanceNumber');
  if (number !== undefined) {
    if (!/^-?[0-9]{1,9}$/.test(number)) throw badRequest('InstanceNumber must be an integer');
    c.add('i.instance_number = ?', Number(number));
  }
  const { limit, offset } = paging(query);
  const include = includeFields(query);
  const rows = await queryReadableStudy<NullableRow<InstanceDbRow>>(em, scope, studyUid, {
    sql: `select i.id, i.sop_class_uid, i.sop_instance_uid, i.instance_number, i.rows, i.columns, i.number_of_frames
                 ${wantsMetadata(include) ? ', i.metadata' : ''}
            from dicom_instance i join dicom_series se on se.id = i.series_id
           where ${c.where()}
           order by i.instance_number nulls last, i.sop_instance_uid
           limit ? offset ?`,
    params: [...c.params, limit, offset],
    orderBy: 'r.instance_number nulls last, r.sop_instance_uid',
  });
  return rows.map((r) =>
    withIncluded(
      instanceLevelJson({
        studyInstanceUid: studyUid,
        seriesInstanceUid: seriesUid,
        sopClassUid: r.sop_class_uid,
        sopInstanceUid: r.sop_instance_uid,
        instanceNumber: r.instance_number,
        rows: r.rows,
        columns: r.columns,
        numberOfFrames: r.number_of_frames > 0 ? r.number_of_frames : null,
        retrieveUrl: rootUrl + instancePath(studyUid, seriesUid, r.sop_instance_uid),
      }),
      r.metadata,
      include,
      'instance',
    ),
  );
}

/** One instance's metadata per study (or series) of a result page, in a single query. */
async function representativeMetadata(em: EntityManager, groupColumn: 'se.study_id' | 'se.id', ids: string[]): Promise<Map<string, DicomJsonDataSet>> {
  if (ids.length === 0) return new Map();
  const rows = await em.execute<{ group_id: string; metadata: DicomJsonDataSet }[]>(
    `select distinct on (${groupColumn}) ${groupColumn} as group_id, i.metadata
       from dicom_instance i join dicom_series se on se.id = i.series_id
      where ${groupColumn} = any(?::uuid[])
      order by ${groupColumn}, se.series_number nulls last, i.instance_number nulls last`,
    [pgArray(ids)],
  );
  return new Map(rows.map((r) => [r.group_id, r.metadata]));
}
