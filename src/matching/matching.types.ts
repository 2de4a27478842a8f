import { Field, Int, ObjectType } from 'type-graphql';
import { RateScalar } from '../common/scalars';
import { MaxItems } from '../common/pagination';
import { CRITERIA_SQL } from './matching-model';
import { CreditGrade } from '../credit/credit-profile.entity';
import { FinancingRequest } from '../financing/financing-request.entity';
import { LoanProduct } from '../product/loan-product.entity';

@ObjectType({
  simpleResolvers: true,
  description: 'Why a product ranks where it does: the components of the match score (model match-v1).',
})
export class MatchReasons {
  @Field(() => String, {
    description: 'Expected rate, 0–40: how far the quoted rate is below the highest acceptable rate.',
  })
  expectedRate: string;

  @Field(() => String, { description: 'Guarantee fit, 0–20: unsecured credit (信用) asks least of the enterprise.' })
  guaranteeFit: string;

  @Field(() => String, { description: 'Institution responsiveness, 0–15: fewer working days to accept.' })
  responsiveness: string;

  @Field(() => String, { description: 'Approval likelihood, 0–25: credit score headroom above the product minimum.' })
  approvalLikelihood: string;

  @Field(() => CreditGrade, { description: 'The grade the quote was made for.' })
  creditGrade: CreditGrade;

  @Field(() => Boolean, { description: 'Whether a credit-incentive rate (守信激励) for this grade applied.' })
  incentiveApplied: boolean;
}

@ObjectType({
  simpleResolvers: true,
  description: '匹配 — a loan product ranked for a financing request, with the rate quoted and the reasons.',
})
export class Match {
  financingRequestId: string;
  loanProductId: string;

  @Field(() => Int, { description: 'Position in the ranking, 1 = best.' })
  rank: number;

  @Field(() => String, { description: 'Ranking score, 0–100 (decimal string).' })
  matchScore: string;

  @Field(() => RateScalar, { description: 'The annual rate that applies to this enterprise, incentives included.' })
  quotedRate: string;

  /**
   * The product and the request, set by the resolver that built the page (one statement for the
   * whole page) when the query selects them. Plain properties, not field resolvers: graphql-jit
   * then reads them inline, where a resolver call builds a resolve-info object and a response path
   * (a list of requests reads several per request; src/matching/README.md).
   */
  @Field(() => LoanProduct, { description: 'The product matched.' })
  loanProduct?: LoanProduct;

  @Field(() => FinancingRequest, { description: 'The need matched.' })
  financingRequest?: FinancingRequest;

  /**
   * The reasons as stored: already parsed, or the JSON text, parsed only when a client asks for
   * them (most lists show rank, product and rate); null where the query did not read them.
   */
  storedReasons: Record<string, unknown> | string | null = null;
  private parsedReasons: MatchReasons | undefined = undefined;

  // A getter on the prototype, not one defined per instance: a list builds hundreds of matches.
  @Field(() => MatchReasons, { description: 'Why it matched: the criteria met and how the rate was quoted.' })
  get reasons(): MatchReasons {
    return (this.parsedReasons ??= toMatchReasons(this.storedReasons));
  }
}

function toMatchReasons(stored: Record<string, unknown> | string | null): MatchReasons {
  if (stored === null) throw new Error('Match reasons were not read: selects() missed them in the query');
  const reasons = typeof stored === 'string' ? (JSON.parse(stored) as Record<string, unknown>) : stored;
  return {
    expectedRate: String(reasons.expectedRate),
    guaranteeFit: String(reasons.guaranteeFit),
    responsiveness: String(reasons.responsiveness),
    approvalLikelihood: String(reasons.approvalLikelihood),
    creditGrade: reasons.creditGrade as CreditGrade,
    incentiveApplied: Boolean(reasons.incentiveApplied),
  };
}

@ObjectType({
  simpleResolvers: true,
  description: 'A hard criterion a request fails against a product, and what would make it pass.',
})
export class FailedCriterion {
  @Field(() => String, {
    description:
      'PUBLISHED, AMOUNT, TERM, GUARANTEE, RATE, REGION, INDUSTRY, SCALE, CREDIT_SCORE, YEARS_IN_BUSINESS, ' +
      'ANNUAL_REVENUE or DISHONEST_DEBTOR.',
  })
  criterion: string;

  @Field(() => String, { description: 'e.g. "term 24 months > product maximum 12".' })
  message: string;

  @Field(() => String, {
    nullable: true,
    description: 'e.g. "a term of at most 12 months"; null where the enterprise cannot change it.',
  })
  wouldPassWith: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'How a financing request fits one loan product, eligible or not.' })
export class ProductFit {
  financingRequestId: string;
  loanProductId: string;

  @Field(() => Boolean, { description: 'Whether the need meets every criterion of the product.' })
  eligible: boolean;

  @Field(() => RateScalar, { description: 'The rate that would apply.' })
  quotedRate: string;

  @Field(() => String, { nullable: true, description: 'Ranking score when eligible.' })
  matchScore: string | null;

  @Field(() => [FailedCriterion], { description: 'Criteria the need does not meet; empty when eligible.' })
  @MaxItems(CRITERIA_SQL.length)
  failedCriteria: FailedCriterion[];
}

@ObjectType({
  simpleResolvers: true,
  description: 'A credit-incentive rate (守信激励): the annual rate a product offers to one grade.',
})
export class GradeRate {
  @Field(() => CreditGrade, { description: 'Credit grade (信用等级) the rate applies to.' })
  grade: CreditGrade;

  @Field(() => RateScalar, { description: 'Annual rate for that grade, in percent.' })
  annualRate: string;
}
