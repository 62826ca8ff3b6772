import { TransferSyntax, parseContentType, transferSyntaxInfo } from '../dicom/index.js';
import { notAcceptable } from './dicomweb-error.js';

/**
 * Content negotiation for WADO-RS (PS3.18 8.7). The stored representation is preferred; a
 * client that asks for Explicit VR Little Endian gets it decoded (`transcode`), and so do frames
 * asked as application/octet-stream without a transfer syntax (PS3.18's default for them).
 * Instances asked without a transfer syntax are sent as stored, byte for byte (what archives and
 * viewers expect; docs/adr/0105-transcoding-and-rendering.md). 406 only for what cannot be
 * produced.
 */

interface AcceptEntry {
  mediaType: string;
  /** The `type` parameter of multipart/related, lower case. */
  type: string | undefined;
  transferSyntax: string | undefined;
}

function parseAccept(header: string | undefined): AcceptEntry[] {
  if (!header || !header.trim()) return [{ mediaType: '*/*', type: undefined, transferSyntax: undefined }];
  // Commas separate entries except inside quoted parameter values.
  const items = header.match(/(?:[^,"]|"(?:[^"\\]|\\.)*")+/g) ?? [];
  const entries: { entry: AcceptEntry; q: number; order: number }[] = [];
  items.forEach((item, order) => {
    const { mediaType, parameters } = parseContentType(item.trim());
    if (!mediaType) return;
    const q = parameters.q === undefined ? 1 : Number(parameters.q);
    if (!(q > 0)) return;
    entries.push({
      entry: { mediaType, type: parameters.type?.toLowerCase(), transferSyntax: parameters['transfer-syntax'] },
      q,
      order,
    });
  });
  return entries.sort((a, b) => b.q - a.q || a.order - b.order).map((e) => e.entry);
}

/** Native little endian syntaxes hold frames byte-identical to Explicit VR Little Endian ones. */
const NATIVE_LITTLE_ENDIAN: ReadonlySet<string> = new Set([
  TransferSyntax.ImplicitVRLittleEndian,
  TransferSyntax.ExplicitVRLittleEndian,
  TransferSyntax.DeflatedExplicitVRLittleEndian,
]);

/** The media type PS3.18 Table 8.7.3-4 gives to frames of a compressed transfer syntax. */
function imageMediaType(transferSyntaxUid: string): string | undefined {
  const codec = transferSyntaxInfo(transferSyntaxUid)?.codec;
  switch (codec) {
    case 'jpeg':
      return 'image/jpeg';
    case 'jpeg-ls':
      return 'image/jls';
    case 'jpeg2000':
      return transferSyntaxUid === '1.2.840.10008.1.2.4.92' || transferSyntaxUid === '1.2.840.10008.1.2.4.93' ? 'image/jpx' : 'image/jp2';
    case 'htj2k':
      return 'image/jphc';
    case 'rle':
      return 'image/dicom-rle';
    default:
      return undefined;
  }
}
const IMAGE_ALIASES: Record<string, string> = { 'image/x-jls': 'image/jls', 'image/x-dicom-rle': 'image/dicom-rle' };

export interface DicomRepresentation {
  /** false: the single instance is sent as the body itself (Accept: application/dicom). */
  multipart: boolean;
  /** Re-encode the instances in Explicit VR Little Endian, their frames decoded. */
  transcode: boolean;
}

/** Instances as application/dicom: multipart for studies and series, single part allowed for one instance. */
export function negotiateDicom(accept: string | undefined, storedSyntaxes: readonly string[], singleInstance: boolean): DicomRepresentation {
  // undefined: not producible; false: as stored; true: transcoded to Explicit VR Little Endian.
  const transcodeFor = (ts: string | undefined): boolean | undefined => {
    if (ts === undefined || ts === '*' || storedSyntaxes.every((s) => s === ts)) return false;
    if (ts === TransferSyntax.ExplicitVRLittleEndian) return true;
    return undefined;
  };
  for (const e of parseAccept(accept)) {
    if (e.mediaType === '*/*' || e.mediaType === 'multipart/*') return { multipart: true, transcode: false };
    const transcode = transcodeFor(e.transferSyntax);
    if (transcode === undefined) continue;
    if (e.mediaType === 'multipart/related') {
      const type = e.type ?? 'application/dicom';
      if (type === 'application/dicom' || type === '*/*' || type === 'application/*') return { multipart: true, transcode };
    }
    if ((e.mediaType === 'application/dicom' || e.mediaType === 'application/*') && singleInstance) return { multipart: false, transcode };
  }
  throw notAcceptable('None of the accepted media types can be produced (instances are sent as stored, or in Explicit VR Little Endian)');
}

export interface FrameRepresentation {
  multipart: boolean;
  /** Decode the frames to native Explicit VR Little Endian. */
  transcode: boolean;
  /** Content-Type of each part (or of the body when not multipart), transfer syntax included. */
  partContentType: string;
  /** The `type` parameter of the multipart Content-Type. */
  rootType: string;
}

/**
 * Frames (and pixel bulk data) as stored, or decoded to native Explicit VR Little Endian when
 * asked so (or as application/octet-stream without a transfer syntax) and `canTranscode`.
 * `storedSyntax` is the instance's transfer syntax; the frame bytes of a deflated instance are
 * native Explicit VR Little Endian once extracted.
 */
export function negotiateFrames(accept: string | undefined, storedSyntax: string, frameCount: number, canTranscode = false): FrameRepresentation {
  const frameSyntax = storedSyntax === TransferSyntax.DeflatedExplicitVRLittleEndian ? TransferSyntax.ExplicitVRLittleEndian : storedSyntax;
  const image = imageMediaType(frameSyntax);
  // The syntax to announce for a requested one, or undefined when it would need transcoding.
  const labelFor = (requested: string | undefined): string | undefined => {
    if (requested === undefined || requested === '*' || requested === frameSyntax) return frameSyntax;
    if (NATIVE_LITTLE_ENDIAN.has(frameSyntax) && NATIVE_LITTLE_ENDIAN.has(requested) && requested !== TransferSyntax.DeflatedExplicitVRLittleEndian) {
      return requested;
    }
    return undefined;
  };
  const nativeLittleEndian = NATIVE_LITTLE_ENDIAN.has(frameSyntax);
  const pick = (type: string, requested: string | undefined, multipart: boolean, serversChoice = false): FrameRepresentation | undefined => {
    const normalised = IMAGE_ALIASES[type] ?? type;
    let partType: string;
    if (normalised === 'application/octet-stream' || normalised === '*/*' || normalised === 'application/*') partType = 'application/octet-stream';
    else if (image && (normalised === image || normalised === 'image/*')) partType = image;
    else return undefined;
    if (!multipart && frameCount !== 1) return undefined;
    // PS3.18 8.7.3.5.2: octet-stream frames default to Explicit VR Little Endian.
    const wantsNative = partType === 'application/octet-stream' && !serversChoice && (requested === undefined || requested === TransferSyntax.ExplicitVRLittleEndian);
    if (wantsNative && !nativeLittleEndian) {
      if (!canTranscode) return undefined;
      return { multipart, transcode: true, partContentType: `${partType}; transfer-syntax=${TransferSyntax.ExplicitVRLittleEndian}`, rootType: partType };
    }
    const label = wantsNative && requested === undefined ? TransferSyntax.ExplicitVRLittleEndian : labelFor(requested);
    if (!label) return undefined;
    return { multipart, transcode: false, partContentType: `${partType}; transfer-syntax=${label}`, rootType: partType };
  };
  for (const e of parseAccept(accept)) {
    let found: FrameRepresentation | undefined;
    if (e.mediaType === '*/*' || e.mediaType === 'multipart/*') found = pick('application/octet-stream', undefined, true, true);
    else if (e.mediaType === 'multipart/related') found = pick(e.type ?? 'application/octet-stream', e.transferSyntax, true);
    else found = pick(e.mediaType, e.transferSyntax, false);
    if (found) return found;
  }
  throw notAcceptable(`The frames are stored as ${frameSyntax}${canTranscode ? ' or decoded to Explicit VR Little Endian' : ' and cannot be decoded here'}; accept one of those or transfer-syntax=*`);
}

/** QIDO-RS and metadata answer DICOM JSON only (application/dicom+xml is not offered). */
export function negotiateJson(accept: string | undefined): void {
  for (const e of parseAccept(accept)) {
    if (['*/*', 'application/*', 'application/dicom+json', 'application/json'].includes(e.mediaType)) return;
  }
  throw notAcceptable('Only application/dicom+json is offered');
}
