import { Arg, Authorized, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context.js';
import * as stats from './stats.service.js';
import {
  ActivePhysiciansRow, DateRange, EmailStatsRow, ExamsPublishedRow, FirstOpeningRow, NotificationStatsRow, ShareStatsRow, Stats, StatsGroup,
} from './stats.types.js';

@Resolver(() => Stats)
export class StatsResolver {
  @Authorized('ANALYST', 'ADMIN')
  @Query(() => Stats, { description: 'De-identified activity figures (ANALYST, ADMIN); default: the last 12 months by MONTH' })
  stats(
    @Ctx() ctx: Context,
    @Arg('range', () => DateRange, { nullable: true }) range?: DateRange | null,
    @Arg('groupBy', () => [StatsGroup], { nullable: true }) groupBy?: StatsGroup[] | null,
  ): Promise<Stats> {
    return stats.openStats(ctx, range, groupBy);
  }

  @FieldResolver(() => [ExamsPublishedRow], { description: 'Exams published per period (and MODALITY, FACILITY when asked)' })
  examsPublished(@Ctx() ctx: Context, @Root() root: Stats): Promise<ExamsPublishedRow[]> {
    return stats.examsPublished(ctx, root.query);
  }

  @FieldResolver(() => [FirstOpeningRow], { description: 'Time from publication to the first opening by a physician (and FACILITY when asked)' })
  timeToFirstOpening(@Ctx() ctx: Context, @Root() root: Stats): Promise<FirstOpeningRow[]> {
    return stats.timeToFirstOpening(ctx, root.query);
  }

  @FieldResolver(() => [NotificationStatsRow])
  notifications(@Ctx() ctx: Context, @Root() root: Stats): Promise<NotificationStatsRow[]> {
    return stats.notifications(ctx, root.query);
  }

  @FieldResolver(() => [EmailStatsRow])
  emails(@Ctx() ctx: Context, @Root() root: Stats): Promise<EmailStatsRow[]> {
    return stats.emails(ctx, root.query);
  }

  @FieldResolver(() => [ShareStatsRow])
  shares(@Ctx() ctx: Context, @Root() root: Stats): Promise<ShareStatsRow[]> {
    return stats.shares(ctx, root.query);
  }

  @FieldResolver(() => [ActivePhysiciansRow])
  activePhysicians(@Ctx() ctx: Context, @Root() root: Stats): Promise<ActivePhysiciansRow[]> {
    return stats.activePhysicians(ctx, root.query);
  }
}
