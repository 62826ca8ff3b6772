import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput, notFound } from '../../common/errors.js';
import { isUuid } from '../../common/ids.js';
import type { Context } from '../../graphql/context.js';
import { actorOf, audit } from '../audit/audit.service.js';
import { requireAdmin } from '../auth/auth.service.js';
import { ApiKey, Facility } from './facility.entity.js';
import { createApiKey, createFacility } from './facility.service.js';

/**
 * Administrators manage the imaging centres and their API keys (DESIGN.md, "Who uses it"): the
 * same operations as the CLI (`facility create | add-key | revoke-key`), from the portal, each one
 * audited with the administrator as actor. Checked here, whatever the edge.
 */

export interface FacilityWithKeys {
  facility: Facility;
  keys: ApiKey[];
}

/** Every facility, by name, with its keys, newest first (a key's secret is never kept). */
export async function listFacilities(ctx: Context): Promise<FacilityWithKeys[]> {
  requireAdmin(ctx.viewer);
  const facilities = await ctx.em.find(Facility, {}, { orderBy: { name: 'asc' }, limit: 1000 });
  const keys = await ctx.em.find(ApiKey, { facility: { $in: facilities.map((f) => f.id) } }, { orderBy: { createdAt: 'desc' } });
  const byFacility = new Map<string, ApiKey[]>();
  for (const k of keys) {
    const list = byFacility.get(k.facility.id);
    if (list) list.push(k);
    else byFacility.set(k.facility.id, [k]);
  }
  return facilities.map((facility) => ({ facility, keys: byFacility.get(facility.id) ?? [] }));
}

export async function addFacility(ctx: Context, name: string, finess: string): Promise<FacilityWithKeys> {
  requireAdmin(ctx.viewer);
  const facility = await ctx.em.transactional((tx) => createFacility(tx as EntityManager, name, finess.trim(), actorOf(ctx)));
  return { facility, keys: [] };
}

/** A new key; its secret is in the answer once, and nowhere else. */
export async function addApiKey(ctx: Context, facilityId: string): Promise<{ key: string; apiKey: ApiKey }> {
  requireAdmin(ctx.viewer);
  const facility = isUuid(facilityId) ? await ctx.em.findOne(Facility, { id: facilityId }) : null;
  if (!facility) throw notFound('Facility');
  return createApiKey(ctx.em, facility, actorOf(ctx));
}

export async function revokeApiKey(ctx: Context, id: string): Promise<ApiKey> {
  requireAdmin(ctx.viewer);
  // The row locked: two administrators revoking the same key at once, one of them is told it was.
  return ctx.em.transactional(async (tx) => {
    const key = isUuid(id) ? await tx.findOne(ApiKey, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE }) : null;
    if (!key) throw notFound('API key');
    if (key.revokedAt) throw badInput('This key is already revoked');
    key.revokedAt = new Date();
    audit(tx, 'API_KEY_REVOKED', { ...actorOf(ctx), facilityId: key.facility.id });
    return key;
  });
}
