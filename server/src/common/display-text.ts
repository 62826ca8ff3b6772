/**
 * Text that a facility sends and people read — patient names, titles, addresses — made safe to
 * display once, where it enters (ADR 0097): Unicode NFC (the same name typed or decomposed is one
 * string, so it compares, sorts and is found the same way), every kind of space or line break
 * as one plain space, and nothing that is invisible or rearranges the text around it.
 */

/**
 * Refused anywhere: controls (Cc: escape sequences, NUL…), format characters (Cf: the bidi
 * overrides and isolates such as U+202E that make "Dupont" display as "tnopuD" or reorder a
 * label, zero-width spaces and joiners that split or join words invisibly, soft hyphens, BOM),
 * private-use (Co), lone surrogates (Cs) and unassigned code points (Cn): none has a visible,
 * stable meaning in a name or a title.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Cn}]/u;
/** A combining mark must follow a letter (or another mark): alone it would stack onto the label before it. */
const DETACHED_MARK = /(?:^|[^\p{L}\p{M}])\p{M}/u;
/** More stacked marks than any script needs after NFC ("Zalgo" text that overflows its line). */
const STACKED_MARKS = /\p{M}{4,}/u;
/** Every Unicode space and line or paragraph separator, runs of them included. */
const SPACES = /[\s\p{Z}]+/gu;

export type DisplayTextProblem = 'INVISIBLE' | 'DETACHED_MARK' | 'STACKED_MARKS';

/** The text as it is stored, or why it cannot be. Empty stays empty: whether it is required is the caller's rule. */
export function cleanDisplayText(value: string): { text: string } | { problem: DisplayTextProblem; codePoint?: string } {
  const text = value.normalize('NFC').replace(SPACES, ' ').trim();
  const invisible = INVISIBLE.exec(text);
  if (invisible) return { problem: 'INVISIBLE', codePoint: codePointOf(invisible[0]) };
  if (DETACHED_MARK.test(text)) return { problem: 'DETACHED_MARK' };
  if (STACKED_MARKS.test(text)) return { problem: 'STACKED_MARKS' };
  return { text };
}

/** A person's name also needs a letter: one made of digits or punctuation only is a placeholder, unreadable and unsearchable. */
export function isPersonName(text: string): boolean {
  return /\p{L}/u.test(text);
}

/** "U+202E", to name the culprit in an error without echoing the text (patient data). */
export function codePointOf(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}
