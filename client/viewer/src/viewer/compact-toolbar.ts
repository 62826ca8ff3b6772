import type { Translate } from '../i18n';
import { h, icon } from './dom';

/** Under this width (a phone, a narrow pop-up) the toolbar is compact. */
export const COMPACT_MAX_WIDTH = 600;

/**
 * A narrow viewer's toolbar (issue 19, finding 5; ADR 0131): the groups marked essential
 * (`data-essential`: the mouse and touch tools) stay on the bar, icons only, and every other group
 * moves into a « Plus d'outils » menu that opens under it; back on the bar when the viewer widens.
 * The groups keep their controls and listeners: the toolbar's own click handling, delegated to
 * `toolbar`, still sees them inside the menu, which lives in the toolbar.
 */
export function compactToolbar(root: HTMLElement, toolbar: HTMLElement, t: Translate): () => void {
  const menuId = `emv-more-${Math.random().toString(36).slice(2)}`;
  const menu = h('div', { class: 'emv-more-menu', id: menuId, role: 'group', 'aria-label': t('moreTools'), hidden: true, 'data-testid': 'more-tools' });
  const label = t('moreTools');
  const button = h('button', { type: 'button', class: 'emv-btn emv-more', 'aria-label': label, title: label, 'aria-expanded': 'false', 'aria-controls': menuId, hidden: true });
  button.append(icon('more'), h('span', { class: 'emv-btn-label' }, label));
  toolbar.append(button, menu);

  /** Each moved group and the node it followed on the bar. */
  let moved: Array<{ group: Element; after: Element | null }> = [];

  const setOpen = (open: boolean, focusButton = false): void => {
    menu.hidden = !open;
    button.setAttribute('aria-expanded', open ? 'true' : 'false');
    if (open) menu.querySelector<HTMLElement>('button:not([disabled]), select, input')?.focus();
    else if (focusButton) button.focus();
  };

  const compact = (on: boolean): void => {
    if (on === root.classList.contains('emv-compact')) return;
    root.classList.toggle('emv-compact', on);
    button.hidden = !on;
    if (on) {
      const groups = Array.from(toolbar.children).filter((g) => g !== button && g !== menu && !(g as HTMLElement).dataset.essential);
      moved = groups.map((group) => ({ group, after: group.previousElementSibling }));
      menu.append(...groups);
    } else {
      setOpen(false);
      for (const { group, after } of moved) {
        if (after) after.after(group);
        else toolbar.prepend(group);
      }
      moved = [];
    }
  };

  const onButton = (): void => setOpen(menu.hidden);
  // A command run from the menu closes it; its form controls (presets, frame rate) keep it open.
  const onMenuClick = (e: MouseEvent): void => {
    if ((e.target as Element).closest('button[data-action]')) setOpen(false);
  };
  const onKey = (e: KeyboardEvent): void => {
    if (e.key === 'Escape' && !menu.hidden) {
      e.stopPropagation();
      setOpen(false, true);
    }
  };
  const onOutside = (e: PointerEvent): void => {
    if (!menu.hidden && !toolbar.contains(e.target as Node)) setOpen(false);
  };
  button.addEventListener('click', onButton);
  menu.addEventListener('click', onMenuClick);
  toolbar.addEventListener('keydown', onKey);
  document.addEventListener('pointerdown', onOutside, true);
  const resize = new ResizeObserver(() => compact(root.clientWidth > 0 && root.clientWidth < COMPACT_MAX_WIDTH));
  resize.observe(root);
  return () => {
    resize.disconnect();
    button.removeEventListener('click', onButton);
    menu.removeEventListener('click', onMenuClick);
    toolbar.removeEventListener('keydown', onKey);
    document.removeEventListener('pointerdown', onOutside, true);
    compact(false);
    button.remove();
    menu.remove();
  };
}
