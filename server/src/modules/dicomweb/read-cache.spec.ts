import { describe, expect, it } from 'vitest';
import { Role } from '../auth/user.entity.js';
import { DicomwebReadCache, narrowsAccess, type CachedInstance, type CachedSession } from './read-cache.js';

const session: CachedSession = { sessionId: 's', userId: 'u', role: Role.PHYSICIAN, lastSeenMs: 0, idleExpiresMs: 10_000, absoluteExpiresMs: 20_000 };
const instance: CachedInstance = { storageKey: 'k', transferSyntaxUid: '1.2.840.10008.1.2.1', needsExtraction: false, frames: [[[0, 4]]] };
const userStudy = (userId: string) => `${userId}\nstudy`;

function cacheAt(clock: { now: number }, listening = { up: true }) {
  const cache = new DicomwebReadCache(() => listening.up, 1_000, () => clock.now, 10_000);
  const fill = () => cache.keep(cache.mark(), { tokenHash: 'h', session, userStudy: userStudy('u'), instanceKey: 'i', instance });
  return { cache, fill, hit: () => cache.frames('h', userStudy, 'i') };
}

describe('DicomwebReadCache', () => {
  it('answers what was kept until its TTL, its idle or its absolute expiry, whichever comes first', () => {
    const clock = { now: 1_000 };
    const { fill, hit } = cacheAt(clock);
    fill();
    expect(hit()?.instance).toEqual(instance);
    clock.now = 1_999;
    expect(hit()).toBeDefined();
    clock.now = 2_000;
    expect(hit()).toBeUndefined();
    clock.now = 9_500;
    fill();
    clock.now = 10_000;
    expect(hit(), 'idle expiry').toBeUndefined();
  });

  it('keeps nothing and answers nothing while the LISTEN connection is down, and drops what it had', () => {
    const clock = { now: 1_000 };
    const listening = { up: true };
    const { cache, fill, hit } = cacheAt(clock, listening);
    fill();
    listening.up = false;
    expect(hit()).toBeUndefined();
    fill();
    listening.up = true;
    expect(hit()).toBeUndefined();
    expect(cache.usable()).toBe(true);
  });

  it('does not keep a read begun before everything was dropped', () => {
    const { cache, hit } = cacheAt({ now: 1_000 });
    const mark = cache.mark();
    cache.dropAll();
    cache.keep(mark, { tokenHash: 'h', session, userStudy: userStudy('u'), instanceKey: 'i', instance });
    expect(hit()).toBeUndefined();
  });

  it("after this process's narrowing write, neither answers nor keeps for the TTL", () => {
    const clock = { now: 1_000 };
    const { cache, fill, hit } = cacheAt(clock);
    fill();
    cache.suspend();
    expect(hit()).toBeUndefined();
    fill();
    expect(hit()).toBeUndefined();
    clock.now = 2_000;
    fill();
    expect(hit()).toBeDefined();
  });

  it("keeps an instance's frame index longer than the decisions, and answers only while both hold", () => {
    const clock = { now: 1_000 };
    const { cache, fill, hit } = cacheAt(clock);
    fill();
    clock.now = 2_000;
    expect(hit(), 'the decisions expired').toBeUndefined();
    cache.keep(cache.mark(), { tokenHash: 'h', session, userStudy: userStudy('u') });
    expect(hit()?.instance, 'the index kept from before').toEqual(instance);
    clock.now = 11_000;
    cache.keep(cache.mark(), { tokenHash: 'h', session, userStudy: userStudy('u') });
    expect(hit(), 'the index expired').toBeUndefined();
  });

  it('shares one database read between requests that miss together, but not across a drop', async () => {
    const { cache } = cacheAt({ now: 1_000 });
    let reads = 0;
    const read = () => new Promise<number>((resolve) => setTimeout(() => resolve(++reads), 5));
    const [a, b] = await Promise.all([cache.shared('k', read), cache.shared('k', read)]);
    expect([a, b, reads]).toEqual([1, 1, 1]);
    const before = cache.shared('k', read);
    cache.dropAll();
    const after = cache.shared('k', read);
    expect(await before).toBe(2);
    expect(await after).toBe(3);
    expect(await cache.shared('k', read), 'a read done is not reused').toBe(4);
  });

  it('answers only with all three: the session, the read decision for its user and study, the instance', () => {
    const { cache, hit } = cacheAt({ now: 1_000 });
    cache.keep(cache.mark(), { tokenHash: 'h', session });
    expect(hit()).toBeUndefined();
    cache.keep(cache.mark(), { tokenHash: 'h', session, userStudy: userStudy('someone else'), instanceKey: 'i', instance });
    expect(hit()).toBeUndefined();
  });

  describe("a session token's hash (ADR 0140)", () => {
    it('is remembered only for a token whose session the cache holds, and only while that entry lives', () => {
      const clock = { now: 1_000 };
      const { cache, fill } = cacheAt(clock);
      cache.rememberToken('raw', 'h');
      expect(cache.rememberedHash('raw'), 'no session kept for it').toBeUndefined();
      fill();
      cache.rememberToken('raw', 'h');
      expect(cache.rememberedHash('raw')).toBe('h');
      expect(cache.rememberedHash('other')).toBeUndefined();
      clock.now = 1_999;
      expect(cache.rememberedHash('raw')).toBe('h');
      clock.now = 2_000;
      expect(cache.rememberedHash('raw'), "dies with its session's entry").toBeUndefined();
    });

    it('is forgotten on every drop, on a narrowing write of this process, and while LISTEN is down', () => {
      const clock = { now: 1_000 };
      const listening = { up: true };
      const { cache, fill } = cacheAt(clock, listening);
      const remembered = () => {
        fill();
        cache.rememberToken('raw', 'h');
        return cache.rememberedHash('raw');
      };
      expect(remembered()).toBe('h');
      cache.dropAll();
      expect(cache.rememberedHash('raw'), 'dropAll (a notification, a gap)').toBeUndefined();
      expect(remembered()).toBe('h');
      cache.suspend();
      expect(cache.rememberedHash('raw'), 'suspend').toBeUndefined();
      expect(remembered(), 'nothing is kept while suspended').toBeUndefined();
      clock.now = 2_000;
      expect(remembered()).toBe('h');
      listening.up = false;
      expect(cache.rememberedHash('raw'), 'LISTEN down').toBeUndefined();
      listening.up = true;
      expect(cache.rememberedHash('raw'), 'and not back after it').toBeUndefined();
    });

    it('keeps at most as many tokens as sessions, the oldest going first', () => {
      const { cache } = cacheAt({ now: 1_000 });
      const many = 20_001;
      for (let i = 0; i < many; i++) {
        cache.keep(cache.mark(), { tokenHash: `h${i}`, session });
        cache.rememberToken(`t${i}`, `h${i}`);
      }
      expect(cache.rememberedTokens()).toBe(20_000);
      expect(cache.rememberedHash('t0')).toBeUndefined();
      expect(cache.rememberedHash(`t${many - 1}`)).toBe(`h${many - 1}`);
    });
  });
});

describe('narrowsAccess', () => {
  it('is true of updates, deletions and truncations of the tables decisions come from, the session touch excepted', () => {
    for (const sql of [
      `update "session" set "revoked_at" = '2026-12-05T23:00:51.225Z' where "id" = 'x'`,
      `update session set revoked_at = now() where user_id = ? and revoked_at is null returning id`,
      `update app_user set status = 'DISABLED' where id = 'x'`,
      `update "app_user" set "role" = ? where "id" = ?`,
      `delete from "exam_access" where "id" in (?)`,
      `delete from exam where id = $1`,
      `update "exam" set "status" = 'WITHDRAWN' where "id" = 'x'`,
      `delete from "document" where "id" = ?`,
      `delete from dicom_instance where sop_instance_uid = ?`,
      `truncate table "session" cascade`,
      `with gone as (delete from session where user_id = ? returning id) select count(*) from gone`,
    ]) {
      expect(narrowsAccess(sql), sql).toBe(true);
    }
    for (const sql of [
      `update "session" set "last_seen_at" = '2026-12-05T23:00:52.103Z', "idle_expires_at" = '2026-12-05T23:15:52.103Z' where "id" = '28321072-e820-45a5-8eb7-0123456789ab'`,
      `update "session" set "last_seen_at" = ?, "idle_expires_at" = ? where "id" = ?`,
      `insert into "session" ("id", "token_hash") values (?, ?)`,
      `select * from session s join app_user u on u.id = s.user_id`,
      `update login_throttle set failures = 0`,
      `update "api_key" set "last_used_at" = now() where "id" = 'x'`,
      `update outbox_message set sent_at = now()`,
      `update exam_accessory set x = 1`,
    ]) {
      expect(narrowsAccess(sql), sql).toBe(false);
    }
  });
});
