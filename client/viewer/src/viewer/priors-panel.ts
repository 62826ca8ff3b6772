import type { Translate } from '../i18n';
import type { Locale, PriorStudy } from '../types';
import { h } from './dom';

const MONTHS: Record<Locale, readonly string[]> = {
  fr: ['janv.', 'févr.', 'mars', 'avr.', 'mai', 'juin', 'juil.', 'août', 'sept.', 'oct.', 'nov.', 'déc.'],
  en: ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'],
};

/** An ISO date as the portal writes dates, the month in words (ADR 0107). */
export function formatIsoDate(iso: string, locale: Locale | undefined): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getUTCDate()} ${MONTHS[locale === 'en' ? 'en' : 'fr'][d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/**
 * « Examens antérieurs »: the patient's other exams the host says this physician may see
 * (ViewerOptions.priors, ViewerHandle.setPriors; the host asks the server, which applies the
 * record's rule). « Comparer » loads one's series into the strip and beside the current image.
 */
export class PriorsPanel {
  readonly element: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly buttons = new Map<string, HTMLButtonElement>();

  constructor(
    private readonly t: Translate,
    private readonly locale: Locale | undefined,
    private readonly onOpen: (prior: PriorStudy) => void,
  ) {
    const titleId = `emv-priors-title-${Math.random().toString(36).slice(2)}`;
    this.list = h('ul', { class: 'emv-priors-list' });
    this.element = h(
      'aside',
      { class: 'emv-priors', 'aria-labelledby': titleId, 'data-testid': 'viewer-priors', hidden: true },
      h('h2', { id: titleId }, t('priors')),
      this.list,
    );
  }

  get shown(): boolean {
    return !this.element.hidden;
  }

  toggle(): boolean {
    this.element.hidden = !this.element.hidden;
    if (!this.element.hidden) this.list.querySelector<HTMLButtonElement>('button:not([disabled])')?.focus();
    return !this.element.hidden;
  }

  setPriors(priors: readonly PriorStudy[]): void {
    this.buttons.clear();
    if (priors.length === 0) {
      this.list.replaceChildren(h('li', { class: 'emv-priors-empty' }, this.t('priorsEmpty')));
      return;
    }
    this.list.replaceChildren(
      ...priors.map((p) => {
        const date = formatIsoDate(p.date, this.locale);
        const button = h(
          'button',
          { type: 'button', class: 'emv-btn emv-prior-open', 'aria-label': this.t('priorOpenLabel', { title: p.title, date }), 'data-study-uid': p.studyUid },
          this.t('priorOpen'),
        );
        button.addEventListener('click', () => this.onOpen(p));
        this.buttons.set(p.studyUid, button);
        return h(
          'li',
          { class: 'emv-prior', 'data-study-uid': p.studyUid },
          h('span', { class: 'emv-prior-title' }, p.title),
          h('span', { class: 'emv-prior-meta' }, [date, p.modalities.join(', ')].filter(Boolean).join(' · ')),
          button,
        );
      }),
    );
  }

  dateOf(prior: PriorStudy): string {
    return formatIsoDate(prior.date, this.locale);
  }

  /** What opening `studyUid` came to: loading, loaded (not offered again) or failed (offered again). */
  setState(studyUid: string, state: 'loading' | 'loaded' | 'failed'): void {
    const button = this.buttons.get(studyUid);
    const item = button?.closest('li');
    if (!button || !item) return;
    item.dataset.state = state;
    button.disabled = state !== 'failed';
    item.querySelector('.emv-prior-status')?.remove();
    if (state === 'loading') item.append(h('span', { class: 'emv-prior-status', role: 'status' }, this.t('priorLoading')));
    if (state === 'failed') item.append(h('span', { class: 'emv-prior-status', role: 'alert' }, this.t('priorFailed')));
  }
}
