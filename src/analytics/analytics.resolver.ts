import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import { RequestContext } from '../common/context';
import { expectGlobalId } from '../common/global-id';
import {
  PlatformStats,
  StatsBreakdownRow,
  StatsDimension,
  StatsFilter,
  StatsFunnel,
  StatsGranularity,
  StatsSeriesPoint,
} from './analytics.types';
import { toGlobalId } from '../common/global-id';
import { regionName } from '../common/reference/regions';
import { industrySectionName } from '../common/reference/industries';
import { Institution } from '../institution/institution.entity';

function decoded(filter: StatsFilter | null) {
  const institutionId = filter?.institutionId
    ? expectGlobalId(filter.institutionId, 'Institution', 'filter.institutionId')
    : null;
  return { ...filter, institutionId };
}

@Resolver()
export class AnalyticsResolver {
  @Query(() => PlatformStats, { description: '平台统计 — exact platform totals (analysts and operators).' })
  platformStats(
    @Arg('filter', () => StatsFilter, { nullable: true }) filter: StatsFilter | null,
    @Ctx() ctx: RequestContext,
  ) {
    return ctx.services.analytics.platformStats(ctx.actor, decoded(filter));
  }

  @Query(() => [StatsBreakdownRow], {
    description: 'The flows by region, industry, institution or guarantee type (analysts and operators).',
  })
  async statsBreakdown(
    @Arg('dimension', () => StatsDimension) dimension: StatsDimension,
    @Arg('filter', () => StatsFilter, { nullable: true }) filter: StatsFilter | null,
    @Ctx() ctx: RequestContext,
  ) {
    const rows = await ctx.services.analytics.breakdown(ctx.actor, dimension, decoded(filter));
    const institutions =
      dimension === StatsDimension.INSTITUTION
        ? await ctx.loaders.byId(Institution).loadMany(rows.map((row) => row.key))
        : [];
    return rows.map((row, index) => ({
      ...row,
      key: dimension === StatsDimension.INSTITUTION ? toGlobalId('Institution', row.key) : row.key,
      label:
        dimension === StatsDimension.REGION
          ? regionName(row.key)
          : dimension === StatsDimension.INDUSTRY
            ? industrySectionName(row.key)
            : dimension === StatsDimension.INSTITUTION
              ? ((institutions[index] as Institution | null)?.name ?? null)
              : row.key,
    }));
  }

  @Query(() => StatsFunnel, {
    description: '转化漏斗 — the funnel of the needs posted in the period (analysts and operators).',
  })
  statsFunnel(
    @Arg('filter', () => StatsFilter, { nullable: true }) filter: StatsFilter | null,
    @Ctx() ctx: RequestContext,
  ) {
    return ctx.services.analytics.funnel(ctx.actor, decoded(filter));
  }

  @Query(() => [StatsSeriesPoint], { description: 'The flows per day, week or month (analysts and operators).' })
  statsSeries(
    @Arg('granularity', () => StatsGranularity) granularity: StatsGranularity,
    @Arg('filter', () => StatsFilter, { nullable: true }) filter: StatsFilter | null,
    @Ctx() ctx: RequestContext,
  ) {
    return ctx.services.analytics.series(ctx.actor, granularity, decoded(filter));
  }
}
