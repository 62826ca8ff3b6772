import type { Image } from 'cornerstone-core';
import type { Tools } from '../../cornerstone/tools';
import type { Locale } from '../../types';
import { withLocalisedText } from './french-text';
import { angle, area, boxOf, length, probe, regionStats, type Point, type Raster, type Shape, type Spacing } from './statistics';

/**
 * The measurement tools (issue 19, ADR 0132): cornerstone-tools' own Length, Angle, EllipticalRoi,
 * RectangleRoi and Probe draw and edit the shapes, and these subclasses replace what they compute
 * with statistics.ts (the viewer's tested rule: modality values, pixel centres, population SD,
 * anisotropic spacing) and write their text in the viewer's language.
 */

/** What the tools need of the viewer: the spacing of an image, from its DICOM attributes. */
export interface MeasurementContext {
  locale: Locale;
  spacing(imageId: string): Spacing | undefined;
}

/** A measurement's state as cornerstone-tools keeps it (its handles, and what we compute into it). */
export interface ToolData {
  handles: { start: Point; end: Point; middle?: Point };
  cachedStats?: Record<string, unknown>;
  rAngle?: number;
  length?: number;
  invalidated?: boolean;
  unit?: string;
}

interface AnnotationTool {
  name: string;
  updateCachedStats(image: Image, element: HTMLElement, data: ToolData): void;
  renderToolData(evt: CustomEvent<{ canvasContext: CanvasRenderingContext2D }>): void;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a mixin's base needs this constructor type
type AnnotationToolClass = new (...args: any[]) => AnnotationTool;

/** The mouse tools of the toolbar that these classes register, by cornerstone-tools name. */
export const MEASUREMENT_TOOLS = ['Length', 'Angle', 'EllipticalRoi', 'RectangleRoi', 'Probe'] as const;
export type MeasurementTool = (typeof MEASUREMENT_TOOLS)[number];

export function rasterOf(image: Image): Raster | undefined {
  // Colour images have no single value per pixel: no statistics (cornerstone-tools shows none either).
  if (image.color) return undefined;
  return { columns: image.columns, rows: image.rows, pixels: image.getPixelData(), slope: image.slope ?? 1, intercept: image.intercept ?? 0 };
}

/**
 * cornerstone-tools labels lengths and areas in mm only when it sees a PixelSpacing; with
 * ImagerPixelSpacing alone its text says px, so the values drawn stay in pixels there and the
 * measurement list (measure-panel.ts) gives the calibrated ones with their note.
 */
function drawnSpacing(ctx: MeasurementContext, imageId: string): Spacing | undefined {
  const s = ctx.spacing(imageId);
  return s?.source === 'PixelSpacing' ? s : undefined;
}

function localised<T extends AnnotationToolClass>(Base: T, ctx: MeasurementContext): T {
  return class extends Base {
    override renderToolData(evt: CustomEvent<{ canvasContext: CanvasRenderingContext2D }>): void {
      withLocalisedText(evt.detail.canvasContext.canvas.getContext('2d')!, ctx.locale, () => super.renderToolData(evt));
    }
  };
}

function regionTool(Base: AnnotationToolClass, shape: Shape, ctx: MeasurementContext): AnnotationToolClass {
  return class extends localised(Base, ctx) {
    override updateCachedStats(image: Image, _element: HTMLElement, data: ToolData): void {
      const box = boxOf(data.handles.start, data.handles.end);
      const raster = rasterOf(image);
      const stats = raster ? regionStats(raster, shape, box) : undefined;
      data.cachedStats = { area: area(shape, box, drawnSpacing(ctx, image.imageId)), mean: stats?.mean ?? 0, stdDev: stats?.stdDev ?? 0, min: stats?.min ?? 0, max: stats?.max ?? 0, count: stats?.count ?? 0 };
      data.invalidated = false;
    }
  };
}

/** The tool classes to register on each viewport, with their cornerstone-tools names. */
export function measurementTools(tools: Tools, ctx: MeasurementContext): Array<[AnnotationToolClass, Record<string, unknown>]> {
  const base = tools as unknown as Record<'LengthTool' | 'AngleTool' | 'EllipticalRoiTool' | 'RectangleRoiTool' | 'ProbeTool', AnnotationToolClass>;
  const Length = class extends localised(base.LengthTool, ctx) {
    override updateCachedStats(image: Image, _element: HTMLElement, data: ToolData): void {
      data.length = length(data.handles.start, data.handles.end, drawnSpacing(ctx, image.imageId));
      data.invalidated = false;
    }
  };
  const Angle = class extends localised(base.AngleTool, ctx) {
    override updateCachedStats(image: Image, _element: HTMLElement, data: ToolData): void {
      const { start, middle, end } = data.handles;
      const a = middle ? angle(start, middle, end, ctx.spacing(image.imageId)) : undefined;
      data.rAngle = a === undefined ? 0 : Math.round(a * 100) / 100;
      data.invalidated = false;
    }
  };
  const Probe = class extends localised(base.ProbeTool, ctx) {
    override updateCachedStats(image: Image, element: HTMLElement, data: ToolData): void {
      // A colour pixel's three values: cornerstone-tools' own reading (R, G, B).
      if (image.color) {
        super.updateCachedStats(image, element, data);
        return;
      }
      const p = data.handles.end;
      const raster = rasterOf(image);
      const value = raster ? probe(raster, p) : undefined;
      const stored = raster && value !== undefined ? raster.pixels[Math.floor(p.y) * raster.columns + Math.floor(p.x)] : undefined;
      data.cachedStats = { x: Math.floor(p.x), y: Math.floor(p.y), sp: stored, mo: value, storedPixels: [stored] };
      data.invalidated = false;
    }
  };
  return [
    [Length, {}],
    [Angle, {}],
    [regionTool(base.EllipticalRoiTool, 'ellipse', ctx), {}],
    [regionTool(base.RectangleRoiTool, 'rectangle', ctx), {}],
    [Probe, {}],
  ];
}
