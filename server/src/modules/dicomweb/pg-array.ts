/**
 * A PostgreSQL array literal for one bound parameter (`?::text[]`). The driver layer expands a JS
 * array into a list of parameters, so arrays travel as their text form, every element quoted.
 */
export function pgArray(values: readonly (string | number)[]): string {
  return `{${values.map((v) => (typeof v === 'number' ? String(v) : `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`)).join(',')}}`;
}
