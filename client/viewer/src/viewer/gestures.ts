/**
 * The gestures of one viewport that Cornerstone's tools do not give (issue 19, ADR 0131):
 * - a one-finger (or left-button) drag scrolls through the slices while « Défiler » is the tool in
 *   use, the default on a touch screen: a finger's travel down the image moves forward one image
 *   every `PX_PER_IMAGE` pixels;
 * - a double tap resets the view (zoom, pan, window, rotation).
 * Pinch (zoom) and a two-finger drag (pan) are cornerstone-tools' ZoomTouchPinch and
 * PanMultiTouch, always on; a one-finger drag with another tool is that tool.
 */
export interface GestureHandlers {
  /** Whether a one-finger drag scrolls slices now (the « Défiler » tool is in use). */
  scrolling(): boolean;
  step(delta: number): void;
  reset(): void;
}

/** A finger's travel per image: 64 slices in about two thirds of a phone's height. */
export const PX_PER_IMAGE = 8;
/** Two taps closer than this in time and space are a double tap. */
const DOUBLE_TAP_MS = 300;
const DOUBLE_TAP_PX = 30;
/** A touch that travels less than this is a tap. */
const TAP_SLOP_PX = 10;

interface Tap {
  at: number;
  x: number;
  y: number;
}

export function watchGestures(element: HTMLElement, handlers: GestureHandlers): () => void {
  const down = new Map<number, { x: number; y: number; at: number }>();
  /** The pointer scrolling slices, and its travel not yet turned into images. */
  let scroll: { id: number; lastY: number; rest: number } | undefined;
  /** True once a gesture had two fingers: no tap, no scroll until every finger is up. */
  let multi = false;
  let lastTap: Tap | undefined;

  const onDown = (e: PointerEvent): void => {
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    down.set(e.pointerId, { x: e.clientX, y: e.clientY, at: e.timeStamp });
    if (down.size > 1) {
      multi = true;
      scroll = undefined;
      return;
    }
    multi = false;
    if (handlers.scrolling()) scroll = { id: e.pointerId, lastY: e.clientY, rest: 0 };
  };

  const onMove = (e: PointerEvent): void => {
    if (!scroll || scroll.id !== e.pointerId || multi) return;
    scroll.rest += e.clientY - scroll.lastY;
    scroll.lastY = e.clientY;
    const images = Math.trunc(scroll.rest / PX_PER_IMAGE);
    if (images === 0) return;
    scroll.rest -= images * PX_PER_IMAGE;
    handlers.step(images);
  };

  const onUp = (e: PointerEvent): void => {
    const start = down.get(e.pointerId);
    down.delete(e.pointerId);
    if (scroll?.id === e.pointerId) scroll = undefined;
    if (!start || e.type === 'pointercancel' || e.pointerType !== 'touch' || multi) {
      if (down.size === 0) multi = false;
      return;
    }
    const travel = Math.hypot(e.clientX - start.x, e.clientY - start.y);
    if (travel > TAP_SLOP_PX) {
      lastTap = undefined;
      return;
    }
    const tap = { at: e.timeStamp, x: e.clientX, y: e.clientY };
    if (lastTap && tap.at - lastTap.at <= DOUBLE_TAP_MS && Math.hypot(tap.x - lastTap.x, tap.y - lastTap.y) <= DOUBLE_TAP_PX) {
      lastTap = undefined;
      handlers.reset();
    } else {
      lastTap = tap;
    }
  };

  element.addEventListener('pointerdown', onDown);
  element.addEventListener('pointermove', onMove);
  element.addEventListener('pointerup', onUp);
  element.addEventListener('pointercancel', onUp);
  return () => {
    element.removeEventListener('pointerdown', onDown);
    element.removeEventListener('pointermove', onMove);
    element.removeEventListener('pointerup', onUp);
    element.removeEventListener('pointercancel', onUp);
  };
}
