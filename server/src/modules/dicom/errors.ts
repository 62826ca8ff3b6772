/**
 * Failure reason codes for the STOW-RS response FailureReason (0008,1197): PS3.18 Table I.2-2
 * "Store Instances Response Failure Reason Values" (which takes A7xx/A9xx/Cxxx from the PS3.4
 * Annex B storage statuses).
 */
export const FailureReason = {
  /** 0x0110: the server failed while processing (storage, database): not the sender's fault. */
  PROCESSING_FAILURE: 0x0110,
  /** 0x0122: the SOP class is not one this archive stores. */
  SOP_CLASS_NOT_SUPPORTED: 0x0122,
  /** 0xA700: out of resources (the instance is larger than the archive accepts). */
  OUT_OF_RESOURCES: 0xa700,
  /** 0xA900: the data set does not match its SOP class (a mandatory attribute is missing). */
  DATA_SET_DOES_NOT_MATCH_SOP_CLASS: 0xa900,
  /** 0xC000: cannot understand (not DICOM, truncated, undecodable encoding). */
  CANNOT_UNDERSTAND: 0xc000,
  /** 0xC122: the transfer syntax is not one this archive can index. */
  TRANSFER_SYNTAX_NOT_SUPPORTED: 0xc122,
} as const;
export type FailureReasonCode = (typeof FailureReason)[keyof typeof FailureReason];

/** Stable machine-readable reasons; the HTTP layer may log them, tests assert them. */
export type DicomParseErrorReason =
  | 'NOT_DICOM'
  | 'TRUNCATED'
  | 'INVALID'
  | 'MISSING_TRANSFER_SYNTAX'
  | 'UNSUPPORTED_TRANSFER_SYNTAX'
  | 'MISSING_SOP_CLASS_UID'
  | 'MISSING_SOP_INSTANCE_UID'
  | 'MISSING_STUDY_INSTANCE_UID'
  | 'MISSING_SERIES_INSTANCE_UID'
  | 'MISSING_ENCAPSULATED_DOCUMENT'
  | 'SOP_CLASS_NOT_SUPPORTED'
  | 'TOO_LARGE';

const failureCodeByReason: Record<DicomParseErrorReason, FailureReasonCode> = {
  NOT_DICOM: FailureReason.CANNOT_UNDERSTAND,
  TRUNCATED: FailureReason.CANNOT_UNDERSTAND,
  INVALID: FailureReason.CANNOT_UNDERSTAND,
  MISSING_TRANSFER_SYNTAX: FailureReason.CANNOT_UNDERSTAND,
  UNSUPPORTED_TRANSFER_SYNTAX: FailureReason.TRANSFER_SYNTAX_NOT_SUPPORTED,
  MISSING_SOP_CLASS_UID: FailureReason.DATA_SET_DOES_NOT_MATCH_SOP_CLASS,
  MISSING_SOP_INSTANCE_UID: FailureReason.DATA_SET_DOES_NOT_MATCH_SOP_CLASS,
  MISSING_STUDY_INSTANCE_UID: FailureReason.DATA_SET_DOES_NOT_MATCH_SOP_CLASS,
  MISSING_SERIES_INSTANCE_UID: FailureReason.DATA_SET_DOES_NOT_MATCH_SOP_CLASS,
  MISSING_ENCAPSULATED_DOCUMENT: FailureReason.DATA_SET_DOES_NOT_MATCH_SOP_CLASS,
  SOP_CLASS_NOT_SUPPORTED: FailureReason.SOP_CLASS_NOT_SUPPORTED,
  TOO_LARGE: FailureReason.OUT_OF_RESOURCES,
};

/**
 * The only error the DICOM parser throws on bad input. `message` is English and safe to return
 * to the sender (no stack, no file path); `failureReason` goes into FailureReason (0008,1197).
 */
export class DicomParseError extends Error {
  readonly reason: DicomParseErrorReason;
  readonly failureReason: FailureReasonCode;

  constructor(reason: DicomParseErrorReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DicomParseError';
    this.reason = reason;
    this.failureReason = failureCodeByReason[reason];
  }
}

/** Thrown by the multipart parser; the HTTP layer maps it to 413 Payload Too Large. */
export class MultipartLimitError extends Error {
  readonly limit: 'maxPartBytes' | 'maxTotalBytes';
  constructor(limit: 'maxPartBytes' | 'maxTotalBytes', bytes: number) {
    super(`multipart body exceeds ${limit} (${bytes} bytes)`);
    this.name = 'MultipartLimitError';
    this.limit = limit;
  }
}

/** Thrown by the multipart parser on a malformed body; the HTTP layer maps it to 400. */
export class MultipartParseError extends Error {
  readonly reason: 'NO_BOUNDARY' | 'MISSING_CLOSING_BOUNDARY' | 'BAD_HEADERS';
  constructor(reason: MultipartParseError['reason'], message: string) {
    super(message);
    this.name = 'MultipartParseError';
    this.reason = reason;
  }
}
