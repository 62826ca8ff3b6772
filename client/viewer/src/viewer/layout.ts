import type { MessageKey, Translate } from '../i18n';
import { h } from './dom';

/** The viewer's grids: rows × columns of viewports. */
export type LayoutId = '1x1' | '1x2' | '2x2';

export const LAYOUTS: Record<LayoutId, { count: number; label: MessageKey; text: string }> = {
  '1x1': { count: 1, label: 'layout1x1', text: '1\u00a0×\u00a01' },
  '1x2': { count: 2, label: 'layout1x2', text: '1\u00a0×\u00a02' },
  '2x2': { count: 4, label: 'layout2x2', text: '2\u00a0×\u00a02' },
};

/** « Disposition »: one toggle button per grid, the current one pressed; its name contains its visible text (WCAG 2.5.3). */
export function layoutGroup(t: Translate): HTMLElement {
  return h(
    'div',
    { class: 'emv-group emv-layouts', role: 'group', 'aria-label': t('layout') },
    ...(Object.keys(LAYOUTS) as LayoutId[]).map((id) =>
      h(
        'button',
        {
          type: 'button',
          class: 'emv-btn emv-layout-btn',
          'data-action': 'layout',
          'data-layout': id,
          'aria-label': t(LAYOUTS[id].label),
          title: t(LAYOUTS[id].label),
          'aria-pressed': id === '1x1' ? 'true' : 'false',
        },
        h('span', { 'aria-hidden': 'true' }, LAYOUTS[id].text),
      ),
    ),
  );
}
