export { CharsetDecoder, personNameGroups, type PersonNameJson } from './charset.js';
export {
  instanceLevelJson,
  seriesLevelJson,
  studyLevelJson,
  toDicomJson,
  type DicomJsonAttribute,
  type DicomJsonDataSet,
  type InstanceRow,
  type SeriesRow,
  type StudyRow,
  type ToDicomJsonOptions,
} from './dicom-json.js';
export { dictionaryVr } from './dictionary.js';
export {
  DicomParseError,
  FailureReason,
  MultipartLimitError,
  MultipartParseError,
  type DicomParseErrorReason,
  type FailureReasonCode,
} from './errors.js';
export {
  boundaryFromContentType,
  MAX_BOUNDARY_LENGTH,
  multipartEvents,
  multipartRelatedStream,
  newBoundary,
  parseContentType,
  parseMultipartRelated,
  type MultipartEvent,
  type MultipartLimits,
  type MultipartPart,
  type OutgoingPart,
} from './multipart.js';
export {
  ENCAPSULATED_PDF_SOP_CLASS,
  extractFrame,
  frameToLittleEndian,
  inflateDataSet,
  parsePart10,
  readFrame,
  type ByteRange,
  type FrameLocation,
  type ParsedInstance,
  type ParsePart10Options,
  type PersonName,
} from './part10.js';
export { TransferSyntax, transferSyntaxInfo, type TransferSyntaxInfo } from './transfer-syntax.js';
