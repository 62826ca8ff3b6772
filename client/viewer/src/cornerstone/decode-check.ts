import type { ImageFrame } from './main-thread-decode';

/**
 * The wado-image-loader converts a decoded colour frame to RGBA inside a promise callback of its
 * createImage: an exception there (no palette tables, a photometric interpretation it has no
 * converter for) is lost, and the frame's load neither resolves nor rejects — the viewer then
 * keeps showing the previous image under the new label. The runtime checks each decoded frame
 * here first (runtime.ts), so such a frame fails like any undecodable frame and is shown as
 * unreadable in its viewport.
 */
export class UndrawableFrameError extends Error {
  constructor(readonly reason: 'palette' | 'photometric', detail: string) {
    super(detail);
    this.name = 'UndrawableFrameError';
  }
}

/** What createImage's colour conversion (convertColorSpace) knows, for frames it converts itself. */
const CONVERTED = new Set(['RGB', 'YBR_RCT', 'YBR_ICT', 'PALETTE COLOR', 'YBR_FULL_422', 'YBR_FULL']);
/** Colour interpretations createImage treats as colour (isColorImage), hence converts. */
const COLOUR = new Set([...CONVERTED, 'YBR_PARTIAL_422', 'YBR_PARTIAL_420']);

function tablePresent(data: unknown, descriptor: unknown): boolean {
  return Array.isArray(descriptor) && descriptor.length >= 3 && (Array.isArray(data) || ArrayBuffer.isView(data)) && (data as ArrayLike<number>).length > 0;
}

/** Throws UndrawableFrameError when createImage would throw on this decoded frame. */
export function assertDrawable(frame: ImageFrame): void {
  const photometric = String(frame.photometricInterpretation ?? '').trim();
  if (!COLOUR.has(photometric)) return;
  if (!CONVERTED.has(photometric)) throw new UndrawableFrameError('photometric', `no colour conversion for ${photometric}`);
  if (photometric !== 'PALETTE COLOR') return;
  const present = (['red', 'green', 'blue'] as const).every((c) =>
    tablePresent(frame[`${c}PaletteColorLookupTableData`], frame[`${c}PaletteColorLookupTableDescriptor`]),
  );
  if (!present) throw new UndrawableFrameError('palette', 'palette colour lookup tables missing');
}
