import type { MessageKey, Translate } from '../i18n';
import { h } from './dom';

/** Why a frame could not be drawn, as the viewport says it. */
export type FrameFailure = 'palette' | 'photometric' | 'decode' | 'network';

const REASONS: Record<FrameFailure, MessageKey> = {
  palette: 'reasonPalette',
  photometric: 'reasonPhotometric',
  decode: 'reasonDecode',
  network: 'reasonNetwork',
};

/**
 * The viewport's "unreadable image" state. A frame that cannot be drawn must never leave another
 * image on screen under its label (issue 19): showing the error also takes the drawn image away
 * (`clearImage`, which empties Cornerstone's canvas and forgets its image), and the message says
 * which image of which series could not be read, and why.
 */
export class ViewportErrorState {
  readonly element: HTMLDivElement;

  constructor(
    private readonly viewport: HTMLElement,
    private readonly t: Translate,
  ) {
    this.element = h('div', { class: 'emv-frame-error', role: 'alert', 'data-testid': 'viewport-error', hidden: true });
  }

  get shown(): boolean {
    return !this.element.hidden;
  }

  show(failure: FrameFailure, where: { desc: string; i: number; n: number }, clearImage: () => void): void {
    clearImage();
    this.element.replaceChildren(h('p', {}, this.t('frameErrorDetail', { reason: this.t(REASONS[failure]), ...where })));
    this.element.hidden = false;
    this.viewport.classList.add('emv-viewport-failed');
  }

  hide(): void {
    this.element.hidden = true;
    this.element.replaceChildren();
    this.viewport.classList.remove('emv-viewport-failed');
  }
}
