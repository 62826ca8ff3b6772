/**
 * How long a new share lasts, in the largest unit that says it exactly: "3 jours" for the
 * default 72 h, "90 secondes" for a test configuration of 0.025 h.
 */
export function ttlParts(hours: number): { unit: 'days' | 'hours' | 'minutes' | 'seconds'; count: number } {
  const seconds = Math.round(hours * 3600);
  if (seconds % 86_400 === 0) return { unit: 'days', count: seconds / 86_400 };
  if (seconds % 3600 === 0) return { unit: 'hours', count: seconds / 3600 };
  if (seconds % 60 === 0) return { unit: 'minutes', count: seconds / 60 };
  return { unit: 'seconds', count: seconds };
}
