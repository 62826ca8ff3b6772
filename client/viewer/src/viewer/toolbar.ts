import type { MessageKey, Translate } from '../i18n';
import { h, toolbarButton, type ToolbarButton } from './dom';

/** The left button's (and one finger's) tool: cornerstone-tools' name, « Défiler » and the measurements included. */
export type MouseTool = 'Scroll' | 'Wwwc' | 'Zoom' | 'Pan' | 'Length' | 'Angle' | 'EllipticalRoi' | 'RectangleRoi' | 'Probe';

export interface Preset {
  id: string;
  label: MessageKey;
  key: string;
  window?: number;
  level?: number;
}

export const PRESETS: Preset[] = [
  { id: 'file', label: 'presetFile', key: '0' },
  { id: 'soft', label: 'presetSoft', key: '1', window: 400, level: 40 },
  { id: 'lung', label: 'presetLung', key: '2', window: 1500, level: -600 },
  { id: 'bone', label: 'presetBone', key: '3', window: 2000, level: 300 },
  { id: 'brain', label: 'presetBrain', key: '4', window: 80, level: 40 },
];

const TOOL_BUTTONS: Array<ToolbarButton & { tool: MouseTool }> = [
  { action: 'tool', tool: 'Scroll', label: 'scroll', shortcut: 'T', icon: 'scroll', toggle: true },
  { action: 'tool', tool: 'Wwwc', label: 'wwwc', shortcut: 'W', icon: 'wwwc', toggle: true },
  { action: 'tool', tool: 'Zoom', label: 'zoom', shortcut: 'Z', icon: 'zoom', toggle: true },
  { action: 'tool', tool: 'Pan', label: 'pan', shortcut: 'D', icon: 'pan', toggle: true },
  { action: 'tool', tool: 'Length', label: 'length', shortcut: 'M', icon: 'length', toggle: true },
];

const VIEW_BUTTONS: ToolbarButton[] = [
  { action: 'fit', label: 'fit', shortcut: 'A', icon: 'fit' },
  { action: 'reset', label: 'reset', shortcut: 'X', icon: 'reset' },
  { action: 'invert', label: 'invert', shortcut: 'I', icon: 'invert', toggle: true },
  { action: 'rotate', label: 'rotate', shortcut: 'R', icon: 'rotate' },
  { action: 'flipH', label: 'flipH', shortcut: 'H', icon: 'flipH', toggle: true },
  { action: 'flipV', label: 'flipV', shortcut: 'V', icon: 'flipV', toggle: true },
];

/** The toolbar's controls the viewer reads or updates; buttons act through their data-action. */
export interface Toolbar {
  element: HTMLDivElement;
  presetSelect: HTMLSelectElement;
  fpsInput: HTMLInputElement;
  playButton: HTMLButtonElement;
  /** Groups after the view tools (layouts, comparison), in order. */
  append(...groups: HTMLElement[]): void;
  setPressed(action: string, on: boolean): void;
}

export function buildToolbar(t: Translate): Toolbar {
  const presetSelect = h('select', { class: 'emv-select', 'aria-label': t('presets'), title: t('presets') });
  const fpsInput = h('input', { type: 'number', class: 'emv-fps', min: 1, max: 60, step: 1, value: 10, 'aria-label': t('fps'), title: t('fps') });
  const playButton = toolbarButton(t, { action: 'cine', label: 'play', shortcut: 'Space', icon: 'play', toggle: true });
  const element = h('div', { class: 'emv-toolbar', role: 'toolbar', 'aria-label': t('tools') });
  // The tools stay on a narrow viewer's bar; the other groups go into « Plus d'outils » (compact-toolbar.ts).
  const toolGroup = h('div', { class: 'emv-group', 'data-essential': 'true' });
  for (const b of TOOL_BUTTONS) {
    const button = toolbarButton(t, b);
    button.dataset.tool = b.tool;
    toolGroup.append(button);
  }
  const viewGroup = h('div', { class: 'emv-group' }, ...VIEW_BUTTONS.map((b) => toolbarButton(t, b)));
  const cineGroup = h(
    'div',
    { class: 'emv-group' },
    presetSelect,
    playButton,
    h('label', { class: 'emv-fps-label' }, fpsInput, h('span', { 'aria-hidden': 'true' }, 'i/s')),
  );
  const miscGroup = h(
    'div',
    { class: 'emv-group' },
    toolbarButton(t, { action: 'overlays', label: 'overlays', shortcut: 'O', icon: 'overlays', toggle: true }),
    toolbarButton(t, { action: 'fullscreen', label: 'fullscreen', shortcut: 'F', icon: 'fullscreen', toggle: true }),
    toolbarButton(t, { action: 'help', label: 'help', shortcut: '?', icon: 'help' }),
  );
  element.append(toolGroup, viewGroup, cineGroup, miscGroup);
  return {
    element,
    presetSelect,
    fpsInput,
    playButton,
    append: (...groups) => miscGroup.before(...groups),
    setPressed: (action, on) => element.querySelector(`[data-action="${action}"]`)?.setAttribute('aria-pressed', on ? 'true' : 'false'),
  };
}

/**
 * « Comparaison »: scrolling synchronised by slice position, window/level linked, and the panel
 * of the patient's other exams.
 */
export function comparisonGroup(t: Translate): HTMLElement {
  return h(
    'div',
    { class: 'emv-group', role: 'group', 'aria-label': t('comparison') },
    toolbarButton(t, { action: 'syncScroll', label: 'syncScroll', shortcut: 'S', icon: 'syncScroll', toggle: true }),
    toolbarButton(t, { action: 'linkWl', label: 'linkWl', shortcut: 'L', icon: 'linkWl', toggle: true }),
    toolbarButton(t, { action: 'priors', label: 'priors', shortcut: 'E', icon: 'priors', toggle: true }),
  );
}
