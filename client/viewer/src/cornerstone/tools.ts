import type * as CornerstoneTools from 'cornerstone-tools';
import { cornerstone } from './runtime';

export type Tools = typeof CornerstoneTools;

/** The tools bundle, built next to viewer.js by vite.tools.config.ts. */
export const TOOLS_FILE = 'viewer-tools.js';

let loading: Promise<Tools> | undefined;
let ready = false;

/**
 * Cornerstone's tools (mouse and touch interaction, measurements) are half of the viewer's code:
 * they are a bundle of their own, imported once the first image is on screen rather than before
 * it, and wired once per page. A separate build rather than a chunk of this one: a shared chunk
 * would take the bundler's runtime helpers out of viewer.js too, one more request, discovered
 * only once viewer.js is compiled, before the first image.
 */
export function loadTools(): Promise<Tools> {
  const url = new URL(TOOLS_FILE, import.meta.url).href;
  loading ??= (import(/* @vite-ignore */ url) as Promise<typeof import('./tools-entry')>).then(
    ({ tools, math, hammer }) => {
      tools.external.cornerstone = cornerstone;
      tools.external.cornerstoneMath = math;
      tools.external.Hammer = (hammer as { default?: unknown }).default ?? hammer;
      tools.init({ showSVGCursors: false, globalToolSyncEnabled: false, mouseEnabled: true, touchEnabled: true });
      ready = true;
      return tools;
    },
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
}

/** True once the tools listen to Cornerstone: elements enabled from then on are registered by them. */
export function toolsReady(): boolean {
  return ready;
}

/**
 * Registers with the tools an element Cornerstone enabled before they were loaded, as their own
 * listener does for an element enabled after (the Cornerstone ELEMENT_ENABLED event).
 */
export function registerEarlierElement(element: HTMLElement): void {
  cornerstone.triggerEvent(cornerstone.events, cornerstone.EVENTS.ELEMENT_ENABLED, { element });
}
