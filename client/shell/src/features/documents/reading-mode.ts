import { computed, onBeforeUnmount, readonly, ref, watchEffect, type Ref } from 'vue';

/**
 * Reading mode (issue 19, ADR 0130): the viewer edge to edge under the patient banner, without the
 * portal's header, footer or document links. The stand-alone document page (what « Ouvrir dans un
 * nouvel onglet » and « Ouvrir dans une pop-up » open) is always in it, its route says so
 * (`meta.reading`) so the first render already has no header; on a phone, an imaging document of
 * the record is too, which only the page knows once the document's type is known.
 */

/** The phone breakpoint of styles.css and of the boot viewer's placement (boot.ts). */
export const PHONE_QUERY = '(max-width: 640px)';

const pageAsks = ref(false);

/** Whether the page shown asked for reading mode; App.vue hides the portal's frame while it does. */
export const readingModeAsked: Readonly<Ref<boolean>> = readonly(pageAsks);

/** The page asks for reading mode while `on` is true, and no longer once it is unmounted. */
export function useReadingMode(on: () => boolean): void {
  watchEffect(() => (pageAsks.value = on()));
  onBeforeUnmount(() => (pageAsks.value = false));
}

/** Whether the window is phone-sized now, following its resizes and rotations. */
export function usePhoneWidth(): Readonly<Ref<boolean>> {
  const query = window.matchMedia(PHONE_QUERY);
  const matches = ref(query.matches);
  const update = (e: MediaQueryListEvent) => (matches.value = e.matches);
  query.addEventListener('change', update);
  onBeforeUnmount(() => query.removeEventListener('change', update));
  return computed(() => matches.value);
}
