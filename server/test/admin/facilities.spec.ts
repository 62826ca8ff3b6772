/**
 * Administrators manage imaging centres and their API keys from the portal: a key's secret is
 * shown once and never again, a revoked key stops STOW-RS at once, every change is audited with
 * the administrator as actor, and nobody else may do any of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finessWithCheckDigit } from '../../src/common/identifiers.js';
import { forkEm } from '../../src/bootstrap.js';
import { Role } from '../../src/modules/auth/user.entity.js';
import { errorCode, startTestServer, type GqlClient, type TestServer } from '../harness.js';
import { facilityWithKey, newUid, readCorpus, stow, syntheticInstance } from '../dicomweb/support.js';

const FACILITY = `id name finess createdAt apiKeys { id prefix createdAt lastUsedAt revokedAt }`;
const newFiness = () => finessWithCheckDigit(`6${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`);

describe('facilities and API keys, administered from the portal', () => {
  let t: TestServer;
  let admin: GqlClient;
  let adminId: string;
  beforeAll(async () => {
    t = await startTestServer();
    ({ client: admin, userId: adminId } = await t.login(Role.ADMIN));
  });
  afterAll(() => t?.stop());

  const count = async (table: string) => {
    const [r] = await forkEm(t.deps).execute<Array<{ n: number }>>(`select count(*)::int as n from ${table}`);
    return r?.n ?? -1;
  };

  it('creates a facility, issues a key shown once that stores instances, and revokes it: STOW answers 401 at once', async () => {
    const finess = newFiness();
    const { createFacility: facility } = await admin.mustQuery(`mutation($n: String!, $f: String!) { createFacility(name: $n, finess: $f) { ${FACILITY} } }`, { n: '  Imagerie du Parc  ', f: finess });
    expect(facility).toMatchObject({ name: 'Imagerie du Parc', finess, apiKeys: [] });

    const { createApiKey: issued } = await admin.mustQuery(`mutation($id: ID!) { createApiKey(facilityId: $id) { key apiKey { id prefix revokedAt } } }`, { id: facility.id });
    expect(issued.key).toMatch(/^emk_[A-Za-z0-9_-]{40,}$/);
    expect(issued.key.startsWith(issued.apiKey.prefix)).toBe(true);
    expect(issued.apiKey.revokedAt).toBeNull();

    // The list shows the key by its prefix; its secret is nowhere in the answer.
    const listed = await admin.query(`{ facilities { ${FACILITY} } }`);
    const mine = (listed.data?.facilities as Array<{ id: string; apiKeys: Array<{ prefix: string }> }>).find((f) => f.id === facility.id);
    expect(mine?.apiKeys.map((k) => k.prefix)).toEqual([issued.apiKey.prefix]);
    expect(JSON.stringify(listed)).not.toContain(issued.key);

    const ct = readCorpus('pydicom/CT_small.dcm');
    expect((await stow(t, issued.key, [ct])).status).toBe(200);
    await admin.mustQuery(`mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`, { id: issued.apiKey.id });
    expect((await stow(t, issued.key, [ct])).status).toBe(401);
    const again = await admin.query(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: issued.apiKey.id });
    expect(errorCode(again)).toBe('BAD_USER_INPUT');

    // Audited, with this administrator as the actor.
    const events = await forkEm(t.deps).execute<Array<{ action: string; actor_user_id: string | null }>>(
      `select action, actor_user_id from audit_event where facility_id = ? order by at`,
      [facility.id],
    );
    expect(events.filter((e) => e.action !== 'EXAM_PUBLISHED').map((e) => e.action)).toEqual(['FACILITY_CREATED', 'API_KEY_CREATED', 'API_KEY_REVOKED']);
    expect(events.filter((e) => e.action !== 'EXAM_PUBLISHED').every((e) => e.actor_user_id === adminId)).toBe(true);
    // The trail names the administrator and the facility to administrators.
    const trail = await admin.mustQuery(`query($u: ID) { auditEvents(userId: $u, first: 3) { edges { node { action actorEmail facilityName } } } }`, { u: adminId });
    expect(trail.auditEvents.edges.map((e: { node: unknown }) => e.node)).toEqual([
      { action: 'API_KEY_REVOKED', actorEmail: (await forkEm(t.deps).execute<Array<{ email: string }>>(`select email from app_user where id = ?`, [adminId]))[0]!.email, facilityName: 'Imagerie du Parc' },
      expect.objectContaining({ action: 'API_KEY_CREATED', facilityName: 'Imagerie du Parc' }),
      expect.objectContaining({ action: 'FACILITY_CREATED', facilityName: 'Imagerie du Parc' }),
    ]);
  });

  it('refuses a bad FINESS, a duplicate, an empty name and an unknown facility, and changes nothing', async () => {
    const existing = await facilityWithKey(t);
    const before = [await count('facility'), await count('api_key'), await count('audit_event')];
    const CREATE = `mutation($n: String!, $f: String!) { createFacility(name: $n, finess: $f) { id } }`;
    const wrongKey = await admin.query(CREATE, { n: 'Centre', f: '123456789' });
    expect(wrongKey.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'finess' });
    expect(wrongKey.errors?.[0]?.extensions?.reason).toBeUndefined();
    const duplicate = await admin.query(CREATE, { n: 'Centre', f: existing.facility.finess });
    expect(duplicate.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'finess', reason: 'DUPLICATE' });
    expect(errorCode(await admin.query(CREATE, { n: '   ', f: newFiness() }))).toBe('BAD_USER_INPUT');
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      expect(errorCode(await admin.query(`mutation($id: ID!) { createApiKey(facilityId: $id) { key } }`, { id }))).toBe('NOT_FOUND');
      expect(errorCode(await admin.query(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id }))).toBe('NOT_FOUND');
    }
    // No facility, no key, no trace.
    expect([await count('facility'), await count('api_key'), await count('audit_event')]).toEqual(before);
  });

  it('a physician, an analyst, a facility’s own key and a caller without a session get nothing', async () => {
    const centre = await facilityWithKey(t);
    const { client: physician } = await t.login(Role.PHYSICIAN);
    const { client: analyst } = await t.login(Role.ANALYST);
    const facilityClient = t.client();
    facilityClient.headers.authorization = `Bearer ${centre.key}`;
    const keyId = (await forkEm(t.deps).execute<Array<{ id: string }>>(`select id from api_key where facility_id = ?`, [centre.facility.id]))[0]!.id;
    const attempts: Array<[string, Record<string, unknown>]> = [
      [`{ facilities { id name apiKeys { prefix } } }`, {}],
      [`mutation($n: String!, $f: String!) { createFacility(name: $n, finess: $f) { id } }`, { n: 'Intrus', f: newFiness() }],
      [`mutation($id: ID!) { createApiKey(facilityId: $id) { key } }`, { id: centre.facility.id }],
      [`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: keyId }],
    ];
    for (const [caller, expected] of [[physician, 'FORBIDDEN'], [analyst, 'FORBIDDEN'], [facilityClient, 'FORBIDDEN'], [t.client(), 'UNAUTHENTICATED']] as const) {
      for (const [query, variables] of attempts) {
        const r = await caller.query(query, variables);
        expect(errorCode(r), query).toBe(expected);
        expect(r.data ?? null, query).toBeNull();
      }
    }
    // The key still works: nothing was revoked, and no key was added.
    expect((await stow(t, centre.key, [(await syntheticInstance({ study: newUid() })).data])).status).toBe(200);
    expect((await forkEm(t.deps).execute<Array<{ n: number }>>(`select count(*)::int as n from api_key where facility_id = ?`, [centre.facility.id]))[0]?.n).toBe(1);
  });
});
