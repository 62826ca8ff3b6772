import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Role } from '../../src/modules/auth/user.entity.js';
import { errorCode, startTestServer, type TestServer } from '../harness.js';

const ME = `{ me { id email firstName lastName displayName role rpps locale emailNotifications sessionIdleExpiresAt sessionAbsoluteExpiresAt idleTimeoutSeconds } }`;

/**
 * Over GraphQL the caller comes from the session's row (ADR 0137): `me` and the dashboard make no
 * entity and fork no EntityManager, the session is still checked on every request, and whatever
 * reads the viewer's User or Session gets the request's own managed entities.
 */
describe('the session caller without entities', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t?.stop());

  /**
   * How many EntityManagers a GraphQL request forks while `fn` runs: its context's or a
   * resolver's (background jobs fork the same EntityManager meanwhile: not counted).
   */
  async function forksDuring(fn: () => Promise<unknown>): Promise<number> {
    const em = t.deps.orm.em;
    const original = em.fork.bind(em);
    let forks = 0;
    const spy = vi.spyOn(em, 'fork').mockImplementation((...args) => {
      if (/http-context|\.resolver\./.test(new Error().stack ?? '')) forks++;
      return original(...args);
    });
    try {
      await fn();
      return forks;
    } finally {
      spy.mockRestore();
    }
  }

  it('me answers what the entities said, with no EntityManager forked', async () => {
    const { client, userId, email } = await t.login(Role.PHYSICIAN, { firstName: 'Anne', lastName: 'Moreau' });
    await client.mustQuery(ME); // the session's touch, if due, forks one: not counted below
    let me: Record<string, unknown> = {};
    const forks = await forksDuring(async () => (me = (await client.mustQuery<{ me: Record<string, unknown> }>(ME)).me));
    expect(forks).toBe(0);
    const row = await t.deps.orm.em.fork().getConnection().execute<Array<Record<string, unknown>>>(
      `select u.rpps, s.idle_expires_at, s.absolute_expires_at from app_user u join session s on s.user_id = u.id where u.id = ? order by s.created_at desc limit 1`,
      [userId],
    );
    expect(me).toMatchObject({ id: userId, email, firstName: 'Anne', lastName: 'Moreau', displayName: 'Anne Moreau', role: Role.PHYSICIAN, locale: 'fr', emailNotifications: true });
    expect(me.rpps).toBe(row[0]!.rpps ?? null);
    expect(new Date(me.sessionAbsoluteExpiresAt as string).getTime()).toBe(new Date(row[0]!.absolute_expires_at as string).getTime());
    expect(new Date(me.sessionIdleExpiresAt as string).getTime()).toBe(new Date(row[0]!.idle_expires_at as string).getTime());
  });

  it('the dashboard forks no EntityManager either, and still refuses whoever is not a physician', async () => {
    const physician = (await t.login(Role.PHYSICIAN)).client;
    const page = `{ patients(first: 5) { edges { node { id } } pageInfo { hasNextPage } } }`;
    await physician.mustQuery(page);
    expect(await forksDuring(() => physician.mustQuery(page))).toBe(0);
    for (const role of [Role.ANALYST, Role.ADMIN]) expect(errorCode(await (await t.login(role)).client.query(page))).toBe('FORBIDDEN');
    expect(errorCode(await t.client().query(page))).toBe('UNAUTHENTICATED');
  });

  it('a disabled user or a revoked session is refused on the next request', async () => {
    const a = await t.login(Role.PHYSICIAN);
    const b = await t.login(Role.PHYSICIAN);
    expect((await a.client.mustQuery<{ me: { id: string } }>(ME)).me.id).toBe(a.userId);
    const em = t.deps.orm.em.fork();
    await em.getConnection().execute(`update app_user set status = 'DISABLED' where id = ?`, [a.userId]);
    expect((await a.client.query(ME)).data?.me).toBeNull();
    await em.getConnection().execute(`update session set revoked_at = now() where user_id = ?`, [b.userId]);
    expect((await b.client.query(ME)).data?.me).toBeNull();
  });

  it('a resolver that reads the viewer gets the request’s managed entities: its changes are flushed', async () => {
    const { client, userId } = await t.login(Role.PHYSICIAN);
    let changed: { updatePreferences?: { locale: string; emailNotifications: boolean } } = {};
    const forks = await forksDuring(
      async () =>
        (changed = await client.mustQuery(`mutation { updatePreferences(input: { locale: "en", emailNotifications: false }) { locale emailNotifications } }`)),
    );
    // The one fork the context makes when the resolver first reads the viewer's entities (which
    // also shows that forksDuring sees them).
    expect(forks).toBe(1);
    expect(changed.updatePreferences).toEqual({ locale: 'en', emailNotifications: false });
    const [row] = await t.deps.orm.em.fork().getConnection().execute<Array<{ locale: string; email_notifications: boolean }>>(
      `select locale, email_notifications from app_user where id = ?`,
      [userId],
    );
    expect(row).toEqual({ locale: 'en', email_notifications: false });
    expect((await client.mustQuery<{ me: { locale: string; emailNotifications: boolean } }>(ME)).me).toMatchObject({ locale: 'en', emailNotifications: false });
  });
});
