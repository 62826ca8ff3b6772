/**
 * GraphQL reads and the session's row (ADR 0142): a request whose document holds queries only
 * may take the caller's session from the process's read cache (the one the DICOMweb frame route
 * uses, ADR 0136) instead of reading it again; a mutation always reads it from the database.
 * These specs pin the guarantee: a change made by this process counts on the very next request;
 * one made elsewhere counts as soon as its notification arrives and never later than the cache's
 * bound, even when no notification comes; a mutation is refused at once; with the LISTEN
 * connection down nothing is cached; a cached session still ends at its idle expiry.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { READ_CACHE_TTL_MS } from '../../src/modules/dicomweb/read-cache.js';
import { statementsDuring } from './db-probe.js';
import { errorCode, startTestServer, type GqlClient, type GqlResult, type TestServer } from '../harness.js';

/** The bound this spec holds the cache to: its TTL, plus what a loaded test machine takes to answer. */
const BOUND_MS = READ_CACHE_TTL_MS + 500;
const ME = `{ me { id role } }`;
const DASHBOARD = `{ patients(first: 5) { edges { node { id } } } }`;

describe('GraphQL reads: a cached session never outlives a change beyond its bound', () => {
  let t: TestServer;
  let other: pg.Client;

  /** The session statements the server runs during `work`. */
  const sessionReads = (work: () => Promise<unknown>) => statementsDuring(t, (sql) => sql.includes('from session s join app_user u'), work);
  /** `me` answers for `userId`. */
  const meIs = async (client: GqlClient, userId: string) => expect((await client.mustQuery<{ me: { id: string } }>(ME)).me.id).toBe(userId);
  /**
   * Asks until `me` is answered without reading the session (this process's own writes, the
   * login's, keep the cache unused for its TTL), within the bound.
   */
  const warm = async (client: GqlClient, userId: string) => {
    const since = performance.now();
    while ((await sessionReads(() => meIs(client, userId))) > 0) {
      expect(performance.now() - since, 'never served from the cache').toBeLessThan(BOUND_MS);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  /** Asks `query` until `refused(answer)` holds; how long that took after the change committed. */
  const refusedWithin = async (client: GqlClient, query: string, refused: (r: GqlResult) => boolean): Promise<number> => {
    const since = performance.now();
    for (;;) {
      const r = await client.query(query);
      const elapsed = performance.now() - since;
      if (refused(r)) return elapsed;
      expect(r.errors, 'an answer neither served nor refused').toBeUndefined();
      expect(elapsed, 'still served past the bound').toBeLessThan(BOUND_MS);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const anonymous = (r: GqlResult) => r.data?.me === null;
  const sessionOf = async (userId: string) => (await other.query<{ id: string }>(`select id from session where user_id = $1`, [userId])).rows[0]!.id;

  beforeAll(async () => {
    t = await startTestServer();
    other = new pg.Client({ connectionString: t.db.url });
    await other.connect();
  });
  afterAll(async () => {
    await other?.end();
    await t?.stop();
  });

  it('serves a session’s repeated queries without reading the session once warm', async () => {
    const { client, userId } = await t.login(Role.PHYSICIAN);
    await warm(client, userId);
    expect(await sessionReads(async () => {
      for (let i = 0; i < 5; i++) await meIs(client, userId);
      await client.mustQuery(DASHBOARD);
    })).toBe(0);
  });

  it('a mutation always reads the session: one revoked where no notification comes is refused at once', async () => {
    const { client, userId } = await t.login(Role.PHYSICIAN);
    await warm(client, userId);
    // A revocation whose trigger does not fire (replication role): no replica hears of it.
    await other.query('begin');
    await other.query(`set local session_replication_role = replica`);
    await other.query(`update session set revoked_at = now() where id = $1`, [await sessionOf(userId)]);
    await other.query('commit');
    const since = performance.now();
    const changed = await client.query(`mutation { updatePreferences(input: { locale: "en", emailNotifications: false }) { locale } }`);
    expect(errorCode(changed)).toBe('UNAUTHENTICATED');
    expect((await other.query(`select locale from app_user where id = $1`, [userId])).rows[0].locale).toBe('fr');
    // A query, even without a notification, no later than the cache's bound.
    await refusedWithin(client, ME, anonymous);
    expect(performance.now() - since).toBeLessThan(BOUND_MS);
  });

  it('in this process: after logout or an administrator disabling the account, the very next query is refused', async () => {
    const a = await t.login(Role.PHYSICIAN);
    await warm(a.client, a.userId);
    // The same cookie replayed after the logout (the client's own jar forgets it).
    const replay = t.client();
    replay.cookies = new Map(a.client.cookies);
    await a.client.mustQuery(`mutation { logout }`);
    expect((await replay.query(ME)).data?.me).toBeNull();

    const b = await t.login(Role.PHYSICIAN);
    const admin = await t.login(Role.ADMIN);
    await warm(b.client, b.userId);
    await admin.client.mustQuery(`mutation($id: ID!) { disableUser(id: $id) { id } }`, { id: b.userId });
    expect((await b.client.query(ME)).data?.me).toBeNull();
  });

  it('from another process (plain SQL): a revoked session, a disabled user, a role taken away are refused within the bound', async () => {
    const changes: Array<[string, string, (r: { userId: string; sessionId: string }) => Promise<unknown>, (r: GqlResult) => boolean]> = [
      ['session revoked', ME, (r) => other.query(`update session set revoked_at = now() where id = $1`, [r.sessionId]), anonymous],
      ['session idle', ME, (r) => other.query(`update session set idle_expires_at = now() - interval '1 second' where id = $1`, [r.sessionId]), anonymous],
      ['session deleted', ME, (r) => other.query(`delete from session where id = $1`, [r.sessionId]), anonymous],
      ['user disabled', ME, (r) => other.query(`update app_user set status = 'DISABLED' where id = $1`, [r.userId]), anonymous],
      ['user made an analyst', DASHBOARD, (r) => other.query(`update app_user set role = 'ANALYST' where id = $1`, [r.userId]), (a) => errorCode(a) === 'FORBIDDEN'],
    ];
    const took: Record<string, number> = {};
    for (const [name, query, change, refused] of changes) {
      const { client, userId } = await t.login(Role.PHYSICIAN);
      await warm(client, userId);
      await client.mustQuery(DASHBOARD);
      await change({ userId, sessionId: await sessionOf(userId) });
      took[name] = Math.round(await refusedWithin(client, query, refused));
    }
    console.info(`refused after (ms): ${JSON.stringify(took)}`);
  });

  it('while the LISTEN connection is down nothing is cached', async () => {
    const { client, userId } = await t.login(Role.PHYSICIAN);
    await warm(client, userId);
    const pubsub = t.deps.pubsub;
    Object.defineProperty(pubsub, 'listening', { get: () => false, configurable: true });
    try {
      expect(await sessionReads(async () => {
        for (let i = 0; i < 5; i++) await meIs(client, userId);
      })).toBe(5);
    } finally {
      delete (pubsub as unknown as Record<string, unknown>).listening;
    }
  });

  it('a cached session still ends at its idle expiry', async () => {
    const { client, userId } = await t.login(Role.PHYSICIAN);
    await warm(client, userId);
    // Seen just now (no touch due), idle in 1.5 s: the update notifies, the next requests read it and keep it.
    await other.query(`update session set last_seen_at = now(), idle_expires_at = now() + interval '1500 milliseconds' where id = $1`, [await sessionOf(userId)]);
    const since = performance.now();
    await warm(client, userId);
    const ageMs = performance.now() - since;
    expect(ageMs, 'the machine was too slow for this check').toBeLessThan(1_300);
    await new Promise((r) => setTimeout(r, 1_550 - ageMs));
    expect((await client.query(ME)).data?.me).toBeNull();
  });
});
