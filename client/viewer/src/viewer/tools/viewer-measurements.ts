import type { ToolClass } from 'cornerstone-tools';
import type { Tools } from '../../cornerstone/tools';
import type { DicomJson } from '../../dicomweb/dicomJson';
import type { Translate } from '../../i18n';
import type { Locale } from '../../types';
import { h, toolbarButton, type ToolbarButton } from '../dom';
import { watchGestures, type GestureHandlers } from '../gestures';
import { CalibrationNotice, instanceSpacing } from './calibration';
import { MeasurePanel } from './measure-panel';
import { MEASUREMENT_TOOLS, measurementTools, type MeasurementTool, type ToolData } from './measurements';
import { scrollToolClass } from './scroll-tool';

/** The measurement tools' toolbar buttons (Length stays with the view tools, as before). */
const MEASURE_BUTTONS: Array<ToolbarButton & { tool: MeasurementTool }> = [
  { action: 'tool', tool: 'Angle', label: 'angle', shortcut: 'G', icon: 'angle', toggle: true },
  { action: 'tool', tool: 'EllipticalRoi', label: 'ellipticalRoi', shortcut: 'C', icon: 'ellipse', toggle: true },
  { action: 'tool', tool: 'RectangleRoi', label: 'rectangleRoi', shortcut: 'Q', icon: 'rectangle', toggle: true },
  { action: 'tool', tool: 'Probe', label: 'probe', shortcut: 'P', icon: 'probe', toggle: true },
];

/** Keyboard letters of the tools this module adds, as the viewer's key handling reads them. */
export const MEASURE_KEYS: Record<string, 'Scroll' | MeasurementTool> = { t: 'Scroll', g: 'Angle', c: 'EllipticalRoi', q: 'RectangleRoi', p: 'Probe' };

/** Whether the device is touch-first: one finger then scrolls the slices by default (ADR 0131). */
export function touchFirst(): boolean {
  return typeof window.matchMedia === 'function' && window.matchMedia('(pointer: coarse)').matches;
}

/**
 * The viewer's measurements (issue 19, ADR 0132) and touch gestures (ADR 0131) behind one small
 * interface: the toolbar group, the list under the images, each viewport's calibration notice and
 * gestures, and the tool classes to register once cornerstone-tools is loaded.
 */
export class ViewerMeasurements {
  readonly toolbarGroup: HTMLDivElement;
  readonly panel: MeasurePanel;
  private classes: Array<[ToolClass, Record<string, unknown>]> | undefined;
  private readonly notices = new WeakMap<HTMLElement, CalibrationNotice>();

  constructor(
    private readonly t: Translate,
    private readonly locale: Locale,
    /** The instance (DICOM JSON) of an image, by Cornerstone image id. */
    private readonly instanceOf: (imageId: string) => DicomJson | undefined,
  ) {
    this.toolbarGroup = h('div', { class: 'emv-group emv-measure-group', role: 'group', 'aria-label': t('measurements') });
    for (const b of MEASURE_BUTTONS) {
      const button = toolbarButton(t, b);
      button.dataset.tool = b.tool;
      this.toolbarGroup.append(button);
    }
    this.panel = new MeasurePanel(t, locale);
  }

  /** A viewport's calibration notice (in `pane`) and gestures (on `element`); returns their teardown. */
  attach(pane: HTMLElement, element: HTMLElement, gestures: GestureHandlers): () => void {
    const notice = new CalibrationNotice(this.t);
    pane.append(notice.element);
    this.notices.set(element, notice);
    const stop = watchGestures(element, gestures);
    return () => {
      stop();
      notice.element.remove();
    };
  }

  /** The tools to add to every viewport, created once per page's cornerstone-tools. */
  toolClasses(tools: Tools): Array<[ToolClass, Record<string, unknown>]> {
    this.classes ??= [
      [scrollToolClass(tools), {}],
      ...measurementTools(tools, { locale: this.locale, spacing: (imageId) => instanceSpacing(this.instanceOf(imageId)) }),
    ];
    return this.classes;
  }

  /** A viewport drew `instance`: its notice follows; the list follows the active viewport. */
  rendered(element: HTMLElement, instance: DicomJson | undefined, active: boolean, tools: Tools | undefined): void {
    this.notices.get(element)?.show(instance);
    if (!active) return;
    const getToolState = (tools as unknown as { getToolState?: (el: HTMLElement, name: string) => { data?: ToolData[] } | undefined } | undefined)?.getToolState;
    const state = MEASUREMENT_TOOLS.map((name) => [name, getToolState?.(element, name)?.data ?? []] as [MeasurementTool, ToolData[]]);
    this.panel.update(instance, state);
  }
}
