import type { MessageKey, Translate } from '../i18n';

type Attrs = Record<string, string | number | boolean | undefined>;

/** Tiny element factory: the viewer's DOM is small and static, a framework would be dead weight. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (name === 'class') el.className = String(value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  el.append(...children);
  return el;
}

export interface ToolbarButton {
  action: string;
  label: MessageKey;
  shortcut: string;
  toggle?: boolean;
  icon: string;
}

/** Inline SVG icons (24×24 strokes) so the bundle needs no font or image asset. */
const ICONS: Record<string, string> = {
  wwwc: '<circle cx="12" cy="12" r="8"/><path d="M12 4v16" /><path d="M12 4a8 8 0 0 1 0 16z" fill="currentColor"/>',
  zoom: '<circle cx="10.5" cy="10.5" r="6"/><path d="M15 15l5 5M8 10.5h5M10.5 8v5"/>',
  pan: '<path d="M12 3v18M3 12h18M12 3l-3 3M12 3l3 3M12 21l-3-3M12 21l3-3M3 12l3-3M3 12l3 3M21 12l-3-3M21 12l-3 3"/>',
  length: '<path d="M4 20L20 4"/><path d="M4 16l4 4M8 12l2 2M12 8l2 2M16 4l4 4"/>',
  scroll: '<rect x="6" y="3" width="12" height="18" rx="2"/><path d="M12 7v10M9.5 9.5L12 7l2.5 2.5M9.5 14.5L12 17l2.5-2.5"/>',
  angle: '<path d="M4 20h16M4 20L16 5"/><path d="M10 20a6 6 0 0 0-2.2-4.6"/>',
  ellipse: '<ellipse cx="12" cy="12" rx="9" ry="6"/>',
  rectangle: '<rect x="3" y="6" width="18" height="12" rx="1"/>',
  probe: '<circle cx="12" cy="12" r="3"/><path d="M12 2v5M12 17v5M2 12h5M17 12h5"/>',
  more: '<circle cx="5" cy="12" r="1.5" fill="currentColor"/><circle cx="12" cy="12" r="1.5" fill="currentColor"/><circle cx="19" cy="12" r="1.5" fill="currentColor"/>',
  fit: '<path d="M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5"/>',
  reset: '<path d="M4 12a8 8 0 1 0 3-6.2"/><path d="M4 4v5h5"/>',
  invert: '<rect x="4" y="4" width="16" height="16" rx="2"/><path d="M4 20L20 4v16z" fill="currentColor"/>',
  rotate: '<path d="M20 12a8 8 0 1 1-3-6.2"/><path d="M20 4v5h-5"/>',
  flipH: '<path d="M12 3v18"/><path d="M9 7L4 12l5 5z"/><path d="M15 7l5 5-5 5z" fill="currentColor"/>',
  flipV: '<path d="M3 12h18"/><path d="M7 9l5-5 5 5z"/><path d="M7 15l5 5 5-5z" fill="currentColor"/>',
  play: '<path d="M7 4l13 8-13 8z" fill="currentColor"/>',
  pause: '<path d="M7 4h4v16H7zM14 4h4v16h-4z" fill="currentColor"/>',
  overlays: '<rect x="3" y="4" width="18" height="16" rx="2"/><path d="M6 8h5M6 11h3M13 16h5"/>',
  fullscreen: '<path d="M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5"/><rect x="9" y="9" width="6" height="6"/>',
  syncScroll: '<rect x="3" y="4" width="7" height="16" rx="1"/><rect x="14" y="4" width="7" height="16" rx="1"/><path d="M6.5 8v8M17.5 8v8M5 14l1.5 2 1.5-2M16 14l1.5 2 1.5-2"/>',
  linkWl: '<circle cx="7" cy="12" r="4"/><circle cx="17" cy="12" r="4"/><path d="M7 8a4 4 0 0 1 0 8z" fill="currentColor"/><path d="M17 8a4 4 0 0 1 0 8z" fill="currentColor"/>',
  priors: '<rect x="4" y="3" width="12" height="15" rx="1"/><path d="M8 21h11V7"/><path d="M7 8h6M7 11h6M7 14h4"/>',
  help: '<circle cx="12" cy="12" r="9"/><path d="M9.5 9.5a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .9-1 1.6v.6"/><circle cx="12" cy="17" r=".6" fill="currentColor"/>',
};

export function icon(name: string): SVGSVGElement {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', 'emv-icon');
  svg.innerHTML = ICONS[name] ?? '';
  return svg;
}

export function toolbarButton(t: Translate, b: ToolbarButton): HTMLButtonElement {
  const label = t(b.label);
  const button = h('button', {
    type: 'button',
    class: 'emv-btn',
    'data-action': b.action,
    'aria-label': label,
    title: `${label} (${b.shortcut})`,
    'aria-pressed': b.toggle ? 'false' : undefined,
    'aria-keyshortcuts': b.shortcut,
  });
  button.append(icon(b.icon), h('span', { class: 'emv-btn-label' }, label));
  return button;
}
