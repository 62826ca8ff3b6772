import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError, badInput, ErrorCode, notFound } from '../../common/errors.js';
import { isValidFiness } from '../../common/identifiers.js';
import { hashToken, newToken } from '../../common/tokens.js';
import type { ViewerResolver } from '../../graphql/viewer.js';
import { audit, type AuditFields } from '../audit/audit.service.js';
import { ApiKey, Facility } from './facility.entity.js';

const KEY_PREFIX = 'emk_';

/** A new facility, audited (FACILITY_CREATED) as done by `actor` (the CLI and the demo seed: SYSTEM). */
export async function createFacility(em: EntityManager, name: string, finess: string, actor: AuditFields = { actorKind: 'SYSTEM' }): Promise<Facility> {
  const clean = name.trim();
  if (!clean || clean.length > 200) throw badInput('A facility name is required', 'name');
  if (!isValidFiness(finess)) throw badInput('Invalid FINESS number (9 digits with a check key)', 'finess');
  if (await em.count(Facility, { finess })) {
    throw new AppError(ErrorCode.BAD_USER_INPUT, 'A facility with this FINESS number already exists', { field: 'finess', reason: 'DUPLICATE' });
  }
  const facility = em.create(Facility, { name: clean, finess });
  em.persist(facility);
  audit(em, 'FACILITY_CREATED', { ...actor, facilityId: facility.id });
  await em.flush();
  return facility;
}

/** A new key for a facility. The secret is returned once; only its hash is kept. `actor`: who asked (the CLI: SYSTEM). */
export async function createApiKey(em: EntityManager, facility: Facility, actor: AuditFields = { actorKind: 'SYSTEM' }): Promise<{ key: string; apiKey: ApiKey }> {
  const key = newToken(KEY_PREFIX);
  const apiKey = em.create(ApiKey, { facility, tokenHash: hashToken(key), prefix: key.slice(0, KEY_PREFIX.length + 6) });
  em.persist(apiKey);
  audit(em, 'API_KEY_CREATED', { ...actor, facilityId: facility.id });
  await em.flush();
  return { key, apiKey };
}

/** Revokes by key prefix (what an operator can see) or all keys of a facility. */
export async function revokeApiKeys(em: EntityManager, by: { prefix?: string; finess?: string }): Promise<number> {
  const where = by.prefix ? { prefix: by.prefix, revokedAt: null } : by.finess ? { facility: { finess: by.finess }, revokedAt: null } : null;
  if (!where) throw badInput('Give a key prefix or a FINESS number');
  const keys = await em.find(ApiKey, where);
  if (keys.length === 0) throw notFound('API key');
  for (const k of keys) {
    k.revokedAt = new Date();
    audit(em, 'API_KEY_REVOKED', { actorKind: 'SYSTEM', facilityId: k.facility.id });
  }
  await em.flush();
  return keys.length;
}

/** `Authorization: Bearer emk_…` identifies an imaging centre (write access only). */
export const apiKeyViewerResolver: ViewerResolver = async (em, _deps, src) => {
  const h = src.authorization;
  if (!h?.startsWith('Bearer ')) return null;
  const key = h.slice(7).trim();
  if (!key.startsWith(KEY_PREFIX) || key.length > 200) return null;
  const apiKey = await em.findOne(ApiKey, { tokenHash: hashToken(key), revokedAt: null }, { populate: ['facility'] });
  if (!apiKey) return null;
  if (!apiKey.lastUsedAt || Date.now() - apiKey.lastUsedAt.getTime() > 60_000) {
    await em.nativeUpdate(ApiKey, { id: apiKey.id }, { lastUsedAt: new Date() });
  }
  return { kind: 'facility', facility: apiKey.facility, apiKeyId: apiKey.id };
};
