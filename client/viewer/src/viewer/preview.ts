import { decodeUncompressedFrame, UNCOMPRESSED_TRANSFER_SYNTAXES, type ImageFrame } from '../cornerstone/main-thread-decode';
import { codeForStatus, DicomWebError, FRAME_ACCEPT } from '../dicomweb/client';
import { getNumber, getNumbers, getString, hasAttribute, Tag, type DicomJson } from '../dicomweb/dicomJson';
import { fileWindow } from './voi';

/**
 * The first image before Cornerstone (docs/adr/0085-first-image-preview.md). Cornerstone and its
 * loader are 280 kB that the browser must compile and run before they can draw anything; on a
 * first visit that was the largest block of work before the first image. The viewer's own bundle
 * therefore draws the first image of a plain grayscale series itself — the frame fetched as the
 * loader fetches it, decoded by the loader's own algorithm (main-thread-decode.ts), windowed and
 * placed as Cornerstone would — while Cornerstone's bundle loads. Cornerstone then takes the same
 * bytes (no second request) and draws over it; from then on everything is Cornerstone's.
 *
 * Only what is drawn here exactly as Cornerstone draws it is previewed: one sample per pixel,
 * MONOCHROME1/2, 8 or 16 bits, an uncompressed transfer syntax, a linear modality LUT and window.
 * Anything else (colour, compressed frames, LUT sequences, XA/XRF) waits for Cornerstone.
 */

/** XA and XRF: the loader ignores their rescale for display; not worth a case of its own here. */
const NO_MODALITY_LUT_SOP_CLASSES = new Set(['1.2.840.10008.5.1.4.1.1.12.1', '1.2.840.10008.5.1.4.1.1.12.2.1']);

/** True when `instance`'s frames can be previewed: see the module's comment. */
export function previewable(instance: DicomJson): boolean {
  const photometric = getString(instance, Tag.PhotometricInterpretation);
  const bits = getNumber(instance, Tag.BitsAllocated);
  const syntax = getString(instance, Tag.AvailableTransferSyntaxUID);
  const spacing = getNumbers(instance, Tag.PixelSpacing);
  const imagerSpacing = getNumbers(instance, Tag.ImagerPixelSpacing);
  return (
    (getNumber(instance, Tag.SamplesPerPixel) ?? 1) === 1 &&
    (photometric === 'MONOCHROME1' || photometric === 'MONOCHROME2') &&
    (bits === 8 || bits === 16) &&
    syntax !== undefined &&
    UNCOMPRESSED_TRANSFER_SYNTAXES.has(syntax) &&
    !hasAttribute(instance, Tag.ModalityLUTSequence) &&
    !hasAttribute(instance, Tag.VOILUTSequence) &&
    !NO_MODALITY_LUT_SOP_CLASSES.has(getString(instance, Tag.SOPClassUID) ?? '') &&
    // Without PixelSpacing, the loader may take ImagerPixelSpacing for the aspect ratio: only a square one is sure.
    (spacing !== undefined || imagerSpacing === undefined || imagerSpacing[0] === imagerSpacing[1])
  );
}

/** One frame as the server sent it: the bytes of its pixel data and their transfer syntax. */
export interface FetchedFrame {
  pixelData: Uint8Array;
  transferSyntax: string;
}

function indexOf(data: Uint8Array, token: string, from: number): number {
  const first = token.charCodeAt(0);
  outer: for (let i = data.indexOf(first, from); i !== -1 && i + token.length <= data.length; i = data.indexOf(first, i + 1)) {
    for (let k = 1; k < token.length; k++) if (data[i + k] !== token.charCodeAt(k)) continue outer;
    return i;
  }
  return -1;
}

/** The `transfer-syntax` parameter of a part's content type; the loader's default without one. */
function transferSyntaxOf(contentType: string | undefined): string {
  return /transfer-syntax\s*=\s*"?([0-9.]+)"?/i.exec(contentType ?? '')?.[1] ?? '1.2.840.10008.1.2';
}

/**
 * GETs one frame (`url`, a WADO-RS frame URL) with the loader's Accept and reads the answer as
 * the loader's getPixelData does, so the bytes it returns are those the loader would hand to its
 * decoder. Throws DicomWebError on an
 * HTTP error.
 */
export async function fetchFrame(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<FetchedFrame> {
  const response = await fetch(url, { headers: { ...headers, Accept: FRAME_ACCEPT }, credentials: 'include', signal });
  if (!response.ok) throw new DicomWebError(codeForStatus(response.status), response.status, `HTTP ${response.status}`);
  const body = new Uint8Array(await response.arrayBuffer());
  const contentType = response.headers.get('Content-Type') ?? 'application/octet-stream';
  if (!contentType.includes('multipart')) return { pixelData: body, transferSyntax: transferSyntaxOf(contentType) };
  const headerEnd = indexOf(body, '\r\n\r\n', 0);
  if (headerEnd === -1) throw new Error('invalid multipart frame: no part header');
  const partHeader = new TextDecoder('latin1').decode(body.subarray(0, headerEnd)).split('\r\n');
  const boundary = partHeader.find((line) => line.startsWith('--'));
  if (!boundary) throw new Error('invalid multipart frame: no boundary');
  const start = headerEnd + 4;
  const end = indexOf(body, boundary, start);
  if (end === -1) throw new Error('invalid multipart frame: no closing boundary');
  const partType = partHeader.find((line) => /^content-type:/i.test(line))?.slice('content-type:'.length).trim();
  return { pixelData: body.subarray(start, end - 2), transferSyntax: transferSyntaxOf(partType) };
}

/** A decoded grayscale frame with what Cornerstone's default view of it needs. */
export interface PreviewImage {
  rows: number;
  columns: number;
  pixels: ArrayLike<number>;
  min: number;
  max: number;
  slope: number;
  intercept: number;
  windowWidth: number;
  windowCenter: number;
  invert: boolean;
  rowPixelSpacing: number;
  columnPixelSpacing: number;
}

/**
 * Decodes `frame` of `instance` as the loader does and gives it the view the viewer starts a
 * series with: the file's window (or the stored range), MONOCHROME1 inverted.
 */
export function decodePreview(instance: DicomJson, frame: FetchedFrame): PreviewImage {
  // The metadata announced an uncompressed syntax; the frame itself must be in one too.
  if (!UNCOMPRESSED_TRANSFER_SYNTAXES.has(frame.transferSyntax)) throw new Error(`not previewed: ${frame.transferSyntax}`);
  const rows = getNumber(instance, Tag.Rows) ?? 0;
  const columns = getNumber(instance, Tag.Columns) ?? 0;
  const bitsAllocated = getNumber(instance, Tag.BitsAllocated) ?? 16;
  const pixelRepresentation = getNumber(instance, Tag.PixelRepresentation) ?? 0;
  const bitsStored = getNumber(instance, Tag.BitsStored);
  const imageFrame: ImageFrame = { bitsAllocated, pixelRepresentation, ...(bitsStored !== undefined ? { bitsStored } : {}) };
  // Decoding works on a copy of its own (as the worker's): the bytes stay as sent, for Cornerstone.
  const decoded = decodeUncompressedFrame({ imageFrame, transferSyntax: frame.transferSyntax, pixelData: frame.pixelData });
  const pixels = bitsAllocated === 16 ? (pixelRepresentation === 0 ? new Uint16Array(decoded.pixelData as ArrayBuffer) : new Int16Array(decoded.pixelData as ArrayBuffer)) : new Uint8Array(decoded.pixelData as ArrayBuffer);
  if (pixels.length < rows * columns) throw new Error('incomplete frame');
  const min = decoded.smallestPixelValue ?? 0;
  const max = decoded.largestPixelValue ?? 0;
  const slope = getNumber(instance, Tag.RescaleSlope) ?? 1;
  const intercept = getNumber(instance, Tag.RescaleIntercept) ?? 0;
  const [spacingRow, spacingColumn] = getNumbers(instance, Tag.PixelSpacing) ?? [];
  const { windowWidth, windowCenter } = fileWindow({
    windowWidth: getNumbers(instance, Tag.WindowWidth),
    windowCenter: getNumbers(instance, Tag.WindowCenter),
    minPixelValue: min,
    maxPixelValue: max,
    slope,
    intercept,
  });
  return {
    rows,
    columns,
    pixels,
    min,
    max,
    slope,
    intercept,
    windowWidth,
    windowCenter,
    invert: getString(instance, Tag.PhotometricInterpretation) === 'MONOCHROME1',
    rowPixelSpacing: spacingRow || 1,
    columnPixelSpacing: spacingColumn || 1,
  };
}

/**
 * Draws `image` on `canvas`, sized to `width` × `height` CSS pixels, as Cornerstone 2.6 draws a
 * grayscale image with its default viewport: the LUT of generateLut.js (linear modality then VOI
 * function, into a clamped byte), fitted and centred as getImageFitScale.js and
 * calculateTransform.js place it, smoothed, on black.
 */
export function drawPreview(canvas: HTMLCanvasElement, image: PreviewImage, width: number, height: number): void {
  const { rows, columns, pixels, min, max, slope, intercept, windowWidth, windowCenter, invert } = image;
  const offset = Math.min(min, 0);
  const lut = new Uint8ClampedArray(max - offset + 1);
  for (let v = min; v <= max; v++) {
    const value = ((v * slope + intercept - windowCenter) / windowWidth + 0.5) * 255;
    lut[v - offset] = invert ? 255 - value : value;
  }
  const render = document.createElement('canvas');
  render.width = columns;
  render.height = rows;
  const renderContext = render.getContext('2d');
  if (!renderContext) throw new Error('no 2D canvas');
  const data = renderContext.createImageData(columns, rows);
  const rgba = data.data;
  for (let i = 0, p = 0, n = rows * columns; i < n; i++, p += 4) {
    const gray = lut[(pixels[i] as number) - offset] as number;
    rgba[p] = gray;
    rgba[p + 1] = gray;
    rgba[p + 2] = gray;
    rgba[p + 3] = 255;
  }
  renderContext.putImageData(data, 0, 0);

  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  if (!context) throw new Error('no 2D canvas');
  context.fillStyle = 'black';
  context.fillRect(0, 0, width, height);
  context.imageSmoothingEnabled = true;
  const { rowPixelSpacing: rs, columnPixelSpacing: cs } = image;
  const horizontalRatio = rs < cs ? cs / rs : 1;
  const verticalRatio = rs < cs ? 1 : rs / cs;
  const scale = Math.min(height / rows / verticalRatio, width / columns / horizontalRatio);
  const widthScale = rs < cs ? scale * (cs / rs) : scale;
  const heightScale = cs < rs ? scale * (rs / cs) : scale;
  context.translate(width / 2, height / 2);
  context.scale(widthScale, heightScale);
  context.translate(-columns / 2, -rows / 2);
  context.drawImage(render, 0, 0, columns, rows, 0, 0, columns, rows);
}
