import type { Component } from 'vue';

/**
 * The PARTAGE column and the document view's « Partager ce document » render the sharing
 * feature's `ShareButton` (features/sharing/ShareButton.vue, props `documentId` and
 * `documentTitle`) through `<component :is>`, so this feature does not depend on it: until the
 * sharing feature exists, nothing is rendered rather than a button that does nothing.
 */
const found = import.meta.glob<{ default: Component }>('../sharing/ShareButton.vue', { eager: true });

export const shareButton: Component | null = Object.values(found)[0]?.default ?? null;
