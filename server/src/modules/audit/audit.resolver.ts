import { Arg, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import { listAuditEvents, namesOf } from './audit-trail.service.js';
import { AuditEventConnection, toAuditEvent } from './audit.types.js';

@Resolver()
export class AuditResolver {
  @Query(() => AuditEventConnection, { description: 'Administrators: who opened what, newest first, by patient or by user (what they did and what was done to their account)' })
  async auditEvents(
    @Ctx() ctx: Context,
    @Arg('patientId', () => ID, { nullable: true }) patientId: string | null,
    @Arg('userId', () => ID, { nullable: true }) userId: string | null,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<AuditEventConnection> {
    const page = await listAuditEvents(ctx.em, ctx.viewer, { patientId, userId, first, after });
    const names = await namesOf(ctx.em, page.events);
    const edges = page.events.map((e) => ({ cursor: page.cursorOf(e), node: toAuditEvent(e, names) }));
    return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  }
}
