import { badInput } from './errors.js';
import { isUuid } from './ids.js';

/**
 * Keyset pagination cursors, one format for every paged list: the last row's sort key (as text)
 * and its id (the tie-breaker), as base64url JSON, opaque to clients. Any `after` that is not
 * one of ours gets the same BAD_USER_INPUT.
 */
export interface CursorPosition {
  at: string;
  id: string;
}

export function encodeCursor(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

/** The position in an `after` argument; `validAt` says whether the sort key's text is one the list can compare. */
export function decodeCursor(after: string, validAt: (at: string) => boolean): CursorPosition {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(after, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && validAt(parsed[0]) && typeof parsed[1] === 'string' && isUuid(parsed[1])) {
      return { at: parsed[0], id: parsed[1] };
    }
  } catch {
    // the same answer as any other cursor that is not ours
  }
  throw badInput('Invalid cursor', 'after');
}

/** A JavaScript date's ISO text (what lists sorted by a `Date` column put in their cursors). */
export function isIsoTimestamp(at: string): boolean {
  return !Number.isNaN(Date.parse(at));
}
