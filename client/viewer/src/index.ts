import { Viewer } from './viewer/viewer';
import type { ViewerHandle, ViewerOptions } from './types';
import './viewer.css';

export type { Locale, PriorStudy, ViewerError, ViewerErrorCode, ViewerHandle, ViewerOptions } from './types';

const STYLESHEET_ID = 'emage-viewer-css';
let stylesheetUsers = 0;
/** Settles when the stylesheet has loaded (or failed): the viewer's layout is known from then on. */
let stylesheetLoaded: Promise<void> = Promise.resolve();

/**
 * The stylesheet is a file next to viewer.js (not an inline <style>) so host pages can keep a
 * strict Content-Security-Policy without 'unsafe-inline' styles.
 */
function acquireStylesheet(): Promise<void> {
  stylesheetUsers++;
  if (document.getElementById(STYLESHEET_ID)) return stylesheetLoaded;
  const fileName = 'viewer.css';
  const link = document.createElement('link');
  link.id = STYLESHEET_ID;
  link.rel = 'stylesheet';
  link.href = new URL(fileName, import.meta.url).href;
  stylesheetLoaded = new Promise<void>((resolve) => {
    link.addEventListener('load', () => resolve(), { once: true });
    link.addEventListener('error', () => resolve(), { once: true });
  });
  document.head.append(link);
  return stylesheetLoaded;
}

function releaseStylesheet(): void {
  stylesheetUsers = Math.max(0, stylesheetUsers - 1);
  if (stylesheetUsers === 0) document.getElementById(STYLESHEET_ID)?.remove();
}

/**
 * Mounts the image viewer for one study inside `element` (which should have a height; the viewer
 * fills it). Returns a handle whose destroy() cancels requests, frees caches and workers and
 * removes everything the viewer added to the page.
 */
export function mount(element: HTMLElement, options: ViewerOptions): ViewerHandle {
  if (!(element instanceof HTMLElement)) throw new TypeError('mount: element must be an HTMLElement');
  if (!options?.dicomwebRoot || !options.studyUid) throw new TypeError('mount: dicomwebRoot and studyUid are required');
  const styled = acquireStylesheet();
  const viewer = new Viewer(element, options, styled);
  let destroyed = false;
  return {
    destroy() {
      if (destroyed) return;
      destroyed = true;
      viewer.destroy();
      releaseStylesheet();
    },
    setPriors(priors) {
      if (!destroyed) viewer.setPriors(priors);
    },
  };
}
