import type { DicomJson } from '../../dicomweb/dicomJson';
import type { Translate } from '../../i18n';
import type { Locale } from '../../types';
import { h } from '../dom';
import { instanceSpacing, valueUnit } from './calibration';
import { formatNumber } from './french-text';
import type { MeasurementTool, ToolData } from './measurements';
import { angle, area, boxOf, length } from './statistics';

const REGION_NAMES = { EllipticalRoi: 'ellipticalRoi', RectangleRoi: 'rectangleRoi' } as const;

/**
 * The measurements of the image shown, written out under it in the viewer's language (issue 19,
 * ADR 0132): what the image shows drawn, readable by screen readers and never clipped. Lengths
 * and areas here use the full calibration (ImagerPixelSpacing too, noted by CalibrationNotice).
 */
export class MeasurePanel {
  readonly element: HTMLElement;
  private readonly list: HTMLUListElement;
  private shown = '';

  constructor(
    private readonly t: Translate,
    private readonly locale: Locale,
  ) {
    this.list = h('ul', { class: 'emv-measures-list' });
    this.element = h('section', { class: 'emv-measures', 'aria-label': t('measurements'), 'data-testid': 'measurements', hidden: true }, this.list);
    this.list.setAttribute('aria-live', 'polite');
  }

  /** The lines for `state` (each tool's measurements on the image shown), shown if they changed. */
  update(instance: DicomJson | undefined, state: Array<[MeasurementTool, ToolData[]]>): void {
    const lines = state.flatMap(([tool, items]) => items.map((data) => this.line(tool, data, instance)).filter((l): l is string => !!l));
    const key = lines.join('\n');
    if (key === this.shown) return;
    this.shown = key;
    this.list.replaceChildren(...lines.map((l) => h('li', {}, l)));
    this.element.hidden = lines.length === 0;
  }

  private line(tool: MeasurementTool, data: ToolData, instance: DicomJson | undefined): string | undefined {
    const t = this.t;
    const n = (v: number, digits = 2) => formatNumber(v, this.locale, digits);
    const spacing = instanceSpacing(instance);
    const unit = spacing ? 'mm' : 'px';
    const valueOf = (v: number) => `${n(v)}${valueUnit(instance, t) ? `\u00a0${valueUnit(instance, t)}` : ''}`;
    const { start, end, middle } = data.handles;
    switch (tool) {
      case 'Length':
        return t('mLength', { v: `${n(length(start, end, spacing))}\u00a0${unit}` });
      case 'Angle': {
        const a = middle ? angle(start, middle, end, spacing) : undefined;
        return a === undefined ? undefined : t('mAngle', { v: `${n(a, 1)}°` });
      }
      case 'EllipticalRoi':
      case 'RectangleRoi': {
        const stats = data.cachedStats as { mean?: number; stdDev?: number; count?: number } | undefined;
        if (!stats?.count) return undefined;
        const a = area(tool === 'EllipticalRoi' ? 'ellipse' : 'rectangle', boxOf(start, end), spacing);
        return t('mRegion', { name: t(REGION_NAMES[tool]), area: `${n(a)}\u00a0${unit}²`, mean: valueOf(stats.mean ?? 0), sd: valueOf(stats.stdDev ?? 0) });
      }
      case 'Probe': {
        const stats = data.cachedStats as { x?: number; y?: number; mo?: number } | undefined;
        if (stats?.mo === undefined) return undefined;
        return t('mProbe', { x: stats.x ?? 0, y: stats.y ?? 0, v: valueOf(stats.mo) });
      }
    }
  }
}
