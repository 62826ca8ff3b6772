import DataLoader from 'dataloader';
import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { perRequest, type Context } from '../../graphql/context.js';
import { actorOf } from '../audit/audit.service.js';
import { readSharedDocument } from './share-grant.service.js';
import * as shares from './share.service.js';
import { Share, ShareAccess, ShareConnection, SharedDocument, toShare, toShareAccess, toSharedDocument } from './share.types.js';

/** Share.accesses: the openings of a page of shares in one query. */
const accessesByShare = perRequest(
  (ctx) =>
    new DataLoader<string, ShareAccess[]>(async (ids) => {
      const rows = await shares.accessesOfShares(ctx.em, ctx.viewer, ids);
      return ids.map((id) => rows.filter((r) => r.shareId === id).map(toShareAccess));
    }),
);

@Resolver(() => Share)
export class ShareResolver {
  @Mutation(() => Share, { description: 'Physician: share a document you may see (NOT_FOUND otherwise); the link is e-mailed with a QR code' })
  async shareDocument(
    @Ctx() ctx: Context,
    @Arg('documentId', () => ID) documentId: string,
    @Arg('email', () => String) email: string,
    @Arg('comment', () => String, { nullable: true }) comment?: string | null,
  ): Promise<Share> {
    return toShare(await shares.shareDocument(ctx.em, ctx.deps, ctx.viewer, { documentId, email, comment }, actorOf(ctx)));
  }

  @Mutation(() => Share, { description: 'Physician: revoke one of your shares, effective on its next request; NOT_FOUND for any other id' })
  async revokeShare(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<Share> {
    return toShare(await shares.revokeShare(ctx.em, ctx.viewer, id, actorOf(ctx)));
  }

  @Query(() => ShareConnection, { description: 'Physician: the shares you made, newest first' })
  async myShares(
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { defaultValue: 25 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<ShareConnection> {
    const page = await shares.listMyShares(ctx.em, ctx.viewer, { first, after });
    const last = page.rows.at(-1);
    return {
      edges: page.rows.map((r) => ({ cursor: shares.shareCursor(r), node: toShare(r) })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: last ? shares.shareCursor(last) : null },
      totalCount: page.totalCount,
    };
  }

  @FieldResolver(() => [ShareAccess], { description: 'Every attempt to open the link, newest first' })
  accesses(@Root() share: Share, @Ctx() ctx: Context): Promise<ShareAccess[]> {
    return accessesByShare(ctx).load(share.id);
  }

  @Authorized('SHARE')
  @Query(() => SharedDocument, { nullable: true, description: 'Share grant only: the shared document, its exam and whose exam it is (ADR 0098)' })
  async sharedDocument(@Ctx() ctx: Context): Promise<SharedDocument | null> {
    const view = await readSharedDocument(ctx.em, ctx.viewer);
    return view ? toSharedDocument(view) : null;
  }
}
