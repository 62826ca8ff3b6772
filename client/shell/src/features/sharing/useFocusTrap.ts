import { nextTick, onBeforeUnmount, onMounted, type Ref } from 'vue';

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), textarea:not([disabled]), select:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * Keeps keyboard focus inside a modal dialog while it is open (Tab and Shift+Tab wrap), closes
 * it on Escape, and gives focus back to what had it before (the button that opened it).
 */
export function useFocusTrap(container: Ref<HTMLElement | null>, onEscape: () => void) {
  let previous: HTMLElement | null = null;

  function focusables(): HTMLElement[] {
    return [...(container.value?.querySelectorAll<HTMLElement>(FOCUSABLE) ?? [])].filter((el) => el.offsetParent !== null || el === document.activeElement);
  }

  function onKeydown(e: KeyboardEvent): void {
    if (e.key === 'Escape') {
      e.preventDefault();
      onEscape();
      return;
    }
    if (e.key !== 'Tab') return;
    const items = focusables();
    if (items.length === 0) return;
    const first = items[0]!;
    const last = items[items.length - 1]!;
    const inside = container.value?.contains(document.activeElement) ?? false;
    if (e.shiftKey && (document.activeElement === first || !inside)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (document.activeElement === last || !inside)) {
      e.preventDefault();
      first.focus();
    }
  }

  onMounted(async () => {
    previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    document.addEventListener('keydown', onKeydown);
    await nextTick();
    (container.value?.querySelector<HTMLElement>('[autofocus]') ?? focusables()[0])?.focus();
  });
  onBeforeUnmount(() => {
    document.removeEventListener('keydown', onKeydown);
    previous?.focus();
  });

  /** After the dialog's content changes (form → confirmation), focus its first control again. */
  async function refocus(): Promise<void> {
    await nextTick();
    (container.value?.querySelector<HTMLElement>('[autofocus]') ?? focusables()[0])?.focus();
  }
  return { refocus };
}
