/** How long a new share lasts, in words the pop-up can use: "3 jours", "36 secondes"… */
export function ttlParts(hours: number): { unit: 'days' | 'hours' | 'minutes' | 'seconds'; count: number } {
  if (hours >= 24 && Number.isInteger(hours / 24)) return { unit: 'days', count: hours / 24 };
  if (hours >= 1) return { unit: 'hours', count: Math.round(hours) };
  if (hours * 60 >= 1) return { unit: 'minutes', count: Math.round(hours * 60) };
  return { unit: 'seconds', count: Math.round(hours * 3600) };
}
