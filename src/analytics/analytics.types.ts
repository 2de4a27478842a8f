import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { IsOptional } from 'class-validator';
import { DateScalar, MoneyScalar, RateScalar } from '../common/scalars';
import { GuaranteeType } from '../product/loan-product.entity';
import { IsRegionCode } from '../common/validators';
import { registerDecorator } from 'class-validator';
import { isValidIndustryCriterion } from '../common/reference/industries';

function IsIndustryFilter() {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isIndustryFilter',
      target: target.constructor,
      propertyName,
      options: { message: '$property must be a GB/T 4754 section ("C") or division ("C13")' },
      validator: {
        validate: (value: unknown) => value == null || (typeof value === 'string' && isValidIndustryCriterion(value)),
      },
    });
}

@InputType({
  description:
    'Narrows platform statistics. Dates are China-time days, both ends inclusive; ' +
    'a province code covers its cities and counties.',
})
export class StatsFilter {
  @Field(() => String, { nullable: true, description: 'GB/T 2260 region code, e.g. "230000" (黑龙江).' })
  @IsOptional()
  @IsRegionCode()
  regionCode?: string | null;

  @Field(() => String, { nullable: true, description: 'GB/T 4754 section ("C") or division ("C13").' })
  @IsIndustryFilter()
  industry?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only this institution (金融机构); all when omitted.' })
  institutionId?: string | null;

  @Field(() => GuaranteeType, {
    nullable: true,
    description: 'Only products of this guarantee type (担保方式); all when omitted.',
  })
  guaranteeType?: GuaranteeType | null;

  @Field(() => DateScalar, {
    nullable: true,
    description: 'First day counted (China time), inclusive; from the beginning when omitted.',
  })
  from?: string | null;

  @Field(() => DateScalar, {
    nullable: true,
    description: 'Last day counted (China time), inclusive; up to today when omitted.',
  })
  to?: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'A count and its exact amount in yuan.' })
export class CountAmount {
  @Field(() => Int, { description: 'How many (needs, acceptances, grants or tranches).' })
  count: number;

  @Field(() => MoneyScalar, { description: 'Their total in yuan, exact.' })
  amount: string;
}

@ObjectType({
  simpleResolvers: true,
  description: '平台统计 — platform totals for analysts and regulators; no enterprise-identifying data.',
})
export class PlatformStats {
  @Field(() => Int, { description: 'Enterprises registered (注册企业).' })
  enterprisesRegistered: number;

  @Field(() => Int, { description: 'Institutions serving the region (入驻机构).' })
  institutions: number;

  @Field(() => Int, { description: 'Loan products published now (发布产品).' })
  productsPublished: number;

  @Field(() => CountAmount, { description: '融资需求 — needs posted, with the amounts asked.' })
  requested: CountAmount;

  @Field(() => CountAmount, { description: '受理 — needs first accepted in the period, with the amounts asked.' })
  accepted: CountAmount;

  @Field(() => CountAmount, { description: '授信 — credit grants approved in the period, with the amounts granted.' })
  granted: CountAmount;

  @Field(() => CountAmount, { description: '放款 — tranches paid out in the period (by value date).' })
  disbursed: CountAmount;

  @Field(() => RateScalar, { nullable: true, description: 'Annual rate of the grants, weighted by amount.' })
  weightedAverageGrantedRate: string | null;

  @Field(() => String, { nullable: true, description: 'Median days from posting a need to its grant, 2 decimals.' })
  medianDaysToGrant: string | null;

  @Field(() => Int, { description: '首贷户 — enterprises whose first grant ever falls in the period.' })
  firstTimeBorrowers: number;

  @Field(() => String, {
    nullable: true,
    description: 'Share of grants that are unsecured credit (信用), by count, as a fraction with 4 decimals.',
  })
  creditGuaranteeShareByCount: string | null;

  @Field(() => String, { nullable: true, description: 'The same share, by amount.' })
  creditGuaranteeShareByAmount: string | null;
}

export enum StatsDimension {
  REGION = 'REGION',
  INDUSTRY = 'INDUSTRY',
  INSTITUTION = 'INSTITUTION',
  GUARANTEE_TYPE = 'GUARANTEE_TYPE',
}
registerEnumType(StatsDimension, {
  name: 'StatsDimension',
  description:
    'What a breakdown groups by: region (one level below the filter’s), industry section, institution, guarantee type.',
  valuesConfig: {
    REGION: { description: 'By region, one level below the filter’s.' },
    INDUSTRY: { description: 'By industry section (门类).' },
    INSTITUTION: { description: 'By institution.' },
    GUARANTEE_TYPE: { description: 'By guarantee type (担保方式).' },
  },
});

export enum StatsGranularity {
  DAY = 'DAY',
  WEEK = 'WEEK',
  MONTH = 'MONTH',
}
registerEnumType(StatsGranularity, {
  name: 'StatsGranularity',
  description: 'Buckets of a time series, in China time (weeks start on Monday).',
  valuesConfig: {
    DAY: { description: 'One bucket per day.' },
    WEEK: { description: 'One bucket per week, starting on Monday.' },
    MONTH: { description: 'One bucket per calendar month.' },
  },
});

/** The four flows of a group or bucket; shared by breakdown rows and series points. */
@ObjectType('StatsFlows', { simpleResolvers: true, description: 'Requested, accepted, granted and disbursed.' })
class StatsFlows {
  @Field(() => CountAmount, { description: '融资需求 — needs posted, with the amounts asked.' })
  requested: CountAmount;

  @Field(() => CountAmount, { description: '受理 — needs first accepted, with the amounts asked.' })
  accepted: CountAmount;

  @Field(() => CountAmount, { description: '授信 — credit grants approved, with the amounts granted.' })
  granted: CountAmount;

  @Field(() => CountAmount, { description: '放款 — tranches paid out, by value date.' })
  disbursed: CountAmount;
}

@ObjectType({ simpleResolvers: true, description: 'The four flows of one group of a breakdown.' })
export class StatsBreakdownRow extends StatsFlows {
  @Field(() => String, { description: 'Region code, industry section, institution ID or guarantee type.' })
  key: string;

  @Field(() => String, { nullable: true, description: 'Readable name of the key (行政区划, 门类, institution name).' })
  label: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'One bucket of a time series.' })
export class StatsSeriesPoint extends StatsFlows {
  @Field(() => DateScalar, { description: 'First day of the bucket.' })
  period: string;
}

@ObjectType({
  simpleResolvers: true,
  description: '转化漏斗 — the needs posted in the period and how far they got; rates are fractions with 4 decimals.',
})
export class StatsFunnel {
  @Field(() => Int, { description: 'Needs posted in the period (融资需求).' }) posted: number;
  @Field(() => Int, { description: 'Of those, needs with at least one application (申请).' }) applied: number;
  @Field(() => Int, { description: 'Of those, needs accepted by an institution (受理).' }) accepted: number;
  @Field(() => Int, { description: 'Of those, needs granted credit (授信).' }) granted: number;
  @Field(() => Int, { description: 'Of those, needs with money paid out (放款).' }) disbursed: number;
  @Field(() => String, { nullable: true, description: 'applied / posted' }) appliedRate: string | null;
  @Field(() => String, { nullable: true, description: 'accepted / applied' }) acceptedRate: string | null;
  @Field(() => String, { nullable: true, description: 'granted / accepted' }) grantedRate: string | null;
  @Field(() => String, { nullable: true, description: 'disbursed / granted' }) disbursedRate: string | null;
  @Field(() => String, { nullable: true, description: 'Share of acceptances made before the response deadline.' })
  acceptedBeforeDeadlineShare: string | null;
}
