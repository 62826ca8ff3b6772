import type { MessageKey, Translate } from '../i18n';
import { h } from './dom';

const HELP_ROWS: Array<[string, MessageKey]> = [
  ['↑ ↓ ← →', 'kScroll'],
  ['Page ↑ / Page ↓', 'kPage'],
  ['Début / Fin', 'kHomeEnd'],
  ['W Z D M', 'kTools'],
  ['T G C Q P', 'kMeasure'],
  ['1 2 3 4 / 0', 'kPresets'],
  ['A', 'kFit'],
  ['X', 'kReset'],
  ['I', 'kInvert'],
  ['R', 'kRotate'],
  ['H / V', 'kFlip'],
  ['Espace', 'kCine'],
  ['O', 'kOverlay'],
  ['F', 'kFullscreen'],
  ['N / Maj+N', 'kSeries'],
  ['?', 'kHelp'],
];

/** The keyboard help: a modal dialog that gives the focus back where it was when it closes. */
export class HelpDialog {
  readonly element: HTMLDivElement;
  private returnFocus: HTMLElement | null = null;

  constructor(t: Translate) {
    const titleId = `emv-help-title-${Math.random().toString(36).slice(2)}`;
    const close = h('button', { type: 'button', class: 'emv-btn emv-help-close', 'data-action': 'help-close' }, t('close'));
    const rows = HELP_ROWS.map(([keys, label]) => h('tr', {}, h('th', { scope: 'row' }, h('kbd', {}, keys)), h('td', {}, t(label))));
    const panel = h(
      'div',
      { class: 'emv-help-panel' },
      h('h2', { id: titleId }, t('helpTitle')),
      h('table', {}, h('tbody', {}, ...rows)),
      h('p', {}, t('kWheel')),
      h('p', {}, t('kTouch')),
      close,
    );
    this.element = h(
      'div',
      { class: 'emv-help', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': titleId, hidden: true, 'data-testid': 'viewer-help' },
      panel,
    );
  }

  get open(): boolean {
    return !this.element.hidden;
  }

  show(): void {
    this.returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    this.element.hidden = false;
    this.element.querySelector<HTMLButtonElement>('.emv-help-close')?.focus();
  }

  close(fallbackFocus: HTMLElement): void {
    this.element.hidden = true;
    (this.returnFocus ?? fallbackFocus).focus();
  }

  /** True when the click closes the dialog (its button, or outside its panel). */
  isCloseClick(e: MouseEvent): boolean {
    return e.target === this.element || !!(e.target as Element).closest('[data-action="help-close"]');
  }
}
