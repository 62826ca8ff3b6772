import { ref } from 'vue';

/**
 * Reads `#token=…` from the address and removes it at once: fragments never reach servers or
 * Referer headers, and once removed the token is not in the history or a screenshot either.
 */
export function useFragmentToken() {
  const params = new URLSearchParams(window.location.hash.replace(/^#/, ''));
  const token = ref(params.get('token') ?? '');
  if (window.location.hash) {
    window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
  }
  return { token };
}
