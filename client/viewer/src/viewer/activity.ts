/**
 * Reading is activity (issue 19): once a series is cached, scrolling and windowing send no
 * request, so nothing would tell the host's session that the physician is still at work. This
 * reports the user's own input in the viewer — pointer, wheel, keys, touch — to the host
 * (ViewerOptions.onActivity), at most once per `minIntervalMs`. Cine playing alone is not input:
 * an unattended screen must still time out.
 */
const EVENTS = ['pointerdown', 'wheel', 'keydown', 'touchstart'] as const;

export function watchActivity(root: HTMLElement, onActivity: () => void, minIntervalMs: number): () => void {
  let last = -Infinity;
  const listener = (event: Event): void => {
    if (!event.isTrusted) return;
    const now = performance.now();
    if (now - last < minIntervalMs) return;
    last = now;
    try {
      onActivity();
    } catch {
      // The host's callback failing must not break the viewer's own handling of the input.
    }
  };
  for (const type of EVENTS) root.addEventListener(type, listener, { capture: true, passive: true });
  return () => {
    for (const type of EVENTS) root.removeEventListener(type, listener, { capture: true });
  };
}
