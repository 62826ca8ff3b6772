/** What a series' initial window is chosen from: the file's window values, its stored range, its rescale. */
export interface WindowSource {
  windowWidth?: number | number[] | undefined;
  windowCenter?: number | number[] | undefined;
  minPixelValue: number;
  maxPixelValue: number;
  slope?: number | undefined;
  intercept?: number | undefined;
}

const first = (v: number | number[] | undefined): number | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * The file's own window, or, when the file gives none or a meaningless one (width 0 is common
 * in MR archives), the full range of the stored pixels after the modality LUT. The one rule for
 * Cornerstone's first view of a series (viewer.ts) and for the preview drawn before it (preview.ts).
 */
export function fileWindow(s: WindowSource): { windowWidth: number; windowCenter: number } {
  const ww = first(s.windowWidth);
  const wc = first(s.windowCenter);
  if (ww !== undefined && wc !== undefined && Number.isFinite(ww) && Number.isFinite(wc) && ww > 1) {
    return { windowWidth: ww, windowCenter: wc };
  }
  const slope = s.slope ?? 1;
  const intercept = s.intercept ?? 0;
  const lo = s.minPixelValue * slope + intercept;
  const width = Math.max(1, s.maxPixelValue * slope + intercept - lo);
  return { windowWidth: width, windowCenter: lo + width / 2 };
}
