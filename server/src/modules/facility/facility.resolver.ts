import { Arg, Authorized, Ctx, Field, ID, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import type { ApiKey } from './facility.entity.js';
import { addApiKey, addFacility, listFacilities, revokeApiKey, type FacilityWithKeys } from './facility.admin.js';

@ObjectType({ description: 'An imaging centre’s API key as administrators see it: never its secret' })
export class ApiKeyInfo {
  @Field(() => ID) id!: string;
  @Field(() => String, { description: 'The key’s first characters (emk_…), to tell keys apart' }) prefix!: string;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date, { nullable: true, description: 'Last STOW-RS or publishExam with it (to the minute)' }) lastUsedAt!: Date | null;
  @Field(() => Date, { nullable: true }) revokedAt!: Date | null;
}

@ObjectType({ description: 'Administrators: an imaging centre and its API keys' })
export class ManagedFacility {
  @Field(() => ID) id!: string;
  @Field(() => String) name!: string;
  @Field(() => String, { description: 'FINESS number' }) finess!: string;
  @Field(() => Date) createdAt!: Date;
  @Field(() => [ApiKeyInfo]) apiKeys!: ApiKeyInfo[];
}

@ObjectType({ description: 'A new API key: `key` is its secret, shown this once and kept nowhere' })
export class NewApiKey {
  @Field(() => String) key!: string;
  @Field(() => ApiKeyInfo) apiKey!: ApiKeyInfo;
}

const toKey = (k: ApiKey): ApiKeyInfo => ({ id: k.id, prefix: k.prefix, createdAt: k.createdAt, lastUsedAt: k.lastUsedAt ?? null, revokedAt: k.revokedAt ?? null });
const toFacility = ({ facility, keys }: FacilityWithKeys): ManagedFacility => ({
  id: facility.id,
  name: facility.name,
  finess: facility.finess,
  createdAt: facility.createdAt,
  apiKeys: keys.map(toKey),
});

@Resolver()
export class FacilityAdminResolver {
  @Authorized('ADMIN')
  @Query(() => [ManagedFacility], { description: 'Administrators: every imaging centre, by name, with its API keys' })
  async facilities(@Ctx() ctx: Context): Promise<ManagedFacility[]> {
    return (await listFacilities(ctx)).map(toFacility);
  }

  @Authorized('ADMIN')
  @Mutation(() => ManagedFacility, { description: 'Administrators: a new imaging centre (name, FINESS with its check key)' })
  async createFacility(@Ctx() ctx: Context, @Arg('name', () => String) name: string, @Arg('finess', () => String) finess: string): Promise<ManagedFacility> {
    return toFacility(await addFacility(ctx, name, finess));
  }

  @Authorized('ADMIN')
  @Mutation(() => NewApiKey, { description: 'Administrators: a new API key for a facility; its secret is in this answer only' })
  async createApiKey(@Ctx() ctx: Context, @Arg('facilityId', () => ID) facilityId: string): Promise<NewApiKey> {
    const { key, apiKey } = await addApiKey(ctx, facilityId);
    return { key, apiKey: toKey(apiKey) };
  }

  @Authorized('ADMIN')
  @Mutation(() => ApiKeyInfo, { description: 'Administrators: the key stops working at once (STOW-RS and publishExam answer 401)' })
  async revokeApiKey(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<ApiKeyInfo> {
    return toKey(await revokeApiKey(ctx, id));
  }
}
