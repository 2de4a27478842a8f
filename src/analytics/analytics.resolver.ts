import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import { RequestContext } from '../common/context';
import { expectGlobalId } from '../common/global-id';
import { PlatformStats, StatsFilter } from './analytics.types';

@Resolver()
export class AnalyticsResolver {
  @Query(() => PlatformStats, { description: '平台统计 — exact platform totals (analysts and operators).' })
  platformStats(@Arg('filter', () => StatsFilter, { nullable: true }) filter: StatsFilter | null, @Ctx() ctx: RequestContext) {
    const institutionId = filter?.institutionId ? expectGlobalId(filter.institutionId, 'Institution', 'filter.institutionId') : null;
    return ctx.services.analytics.platformStats(ctx.actor, { ...filter, institutionId });
  }
}
