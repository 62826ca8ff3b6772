import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, isIsoTimestamp } from './cursor.js';
import { ErrorCode } from './errors.js';

describe('keyset cursors', () => {
  it('give back the position they were made from', () => {
    const id = randomUUID();
    const at = new Date('2026-11-28T04:50:12.345Z').toISOString();
    expect(decodeCursor(encodeCursor(at, id), isIsoTimestamp)).toEqual({ at, id });
  });

  const bad: Array<[string, string]> = [
    ['not base64 JSON', '%%%'],
    ['an object instead of a pair', Buffer.from(JSON.stringify({ at: '2026-11-28T04:50:12.345Z', id: randomUUID() })).toString('base64url')],
    ['an id that is not a UUID', encodeCursor('2026-11-28T04:50:12.345Z', "1' or '1'='1")],
    ['a sort key the list cannot compare', encodeCursor('yesterday', randomUUID())],
    ['a third member', Buffer.from(JSON.stringify(['2026-11-28T04:50:12.345Z', randomUUID(), 'x'])).toString('base64url')],
  ];
  it.each(bad)('refuse %s with one BAD_USER_INPUT on `after`', (_what, cursor) => {
    let error: unknown;
    try {
      decodeCursor(cursor, isIsoTimestamp);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ message: 'Invalid cursor', extensions: { code: ErrorCode.BAD_USER_INPUT, field: 'after' } });
  });
});
