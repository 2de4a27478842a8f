/**
 * Matching model `match-v1` (see README.md beside this file): the hard eligibility criteria and
 * the ranking score, as SQL fragments over a request row `req` and a product row `p` (which carries
 * its institution's response deadline). Every query of the engine is built from these, so eligibility and ranking mean
 * the same thing in forward matching, reverse matching, refreshes and explanations.
 */
import { gradeOrBaseSql, scoreOrBaseSql } from '../credit/credit-profile.entity';

export const MATCHING_MODEL_VERSION = 'match-v1';
/** Matches kept per request; the API shows the best of them. */
export const MATCH_DEPTH = 50;

/**
 * Whole years from `since` to `today` (PostgreSQL `age`): a year is complete on the same month and
 * day, and a 29 February's anniversary in a common year is 1 March. The YEARS_IN_BUSINESS criterion
 * below is the same rule written as a date comparison. On dates `age` would take timestamptz, whose
 * midnight depends on the session's zone (one that skips midnight loses a year): timestamps do not.
 */
export const YEARS_IN_BUSINESS_SQL = (since: string, today: string) =>
  `date_part('year', age((${today})::timestamp, (${since})::timestamp))::int AS years_in_business`;

/**
 * Facts about one financing request: columns the fragments below use as `req.*`. `today` is a SQL
 * expression for the China date (a query parameter from the services' clock): years in business are
 * counted to the date in China, never to the database session's `current_date`.
 */
export function requestFactsSql(today: string): string {
  return `
  SELECT r.id, r.enterprise_id, r.amount, r.term_months, r.acceptable_guarantee_types::varchar[] AS guarantees,
         r.max_rate, r.valid_until,
         e.region_code, left(e.region_code, 4) AS prefecture_code, left(e.region_code, 2) AS province_code,
         e.industry_code, e.scale::text AS scale, e.annual_revenue, e.established_on, ${today} AS today,
         ${YEARS_IN_BUSINESS_SQL('e.established_on', today)},
         ${scoreOrBaseSql('cp')} AS credit_score, ${gradeOrBaseSql('cp')} AS credit_grade,
         coalesce('DISHONEST_DEBTOR' = ANY(cp.flags), false) AS dishonest_debtor
  FROM financing_request r
  JOIN enterprise e ON e.id = r.enterprise_id
  LEFT JOIN credit_profile cp ON cp.enterprise_id = e.id`;
}

/** 守信激励: the product's rate for the enterprise's grade if it sets one, else its standard (maximum) rate. */
export const QUOTED_RATE_SQL = `coalesce((p.grade_rates ->> req.credit_grade)::numeric(7,4), p.max_rate)`;

const REGIONS_OF_P = `(CASE WHEN cardinality(p.eligible_regions) = 0 THEN '{*}'::varchar[]
  ELSE p.eligible_regions END)`;
const INDUSTRIES_OF_P = `(CASE WHEN cardinality(p.eligible_industries) = 0 THEN '{*}'::varchar[]
  ELSE p.eligible_industries END)`;

/** Each hard criterion, by name; all must hold for a product to be eligible. */
export const CRITERIA_SQL: ReadonlyArray<[criterion: string, predicate: string]> = [
  ['PUBLISHED', `p.status = 'PUBLISHED'`],
  ['AMOUNT', `req.amount BETWEEN p.min_amount AND p.max_amount`],
  ['TERM', `req.term_months BETWEEN p.min_term_months AND p.max_term_months`],
  ['GUARANTEE', `p.guarantee_type::text = ANY(req.guarantees)`],
  // The cheap bound first: a quote is never below the product's minimum rate.
  // A quote never exceeds the product's maximum rate (ck_loan_product_grade_rates_in_range), so a
  // product whose maximum is acceptable needs no quote; the cheap lower bound comes next.
  ['RATE', `(p.max_rate <= req.max_rate OR (p.min_rate <= req.max_rate AND ${QUOTED_RATE_SQL} <= req.max_rate))`],
  [
    'REGION',
    `${REGIONS_OF_P} && ` +
      `ARRAY['*', req.region_code, req.prefecture_code || '00', req.province_code || '0000']::varchar[]`,
  ],
  ['INDUSTRY', `${INDUSTRIES_OF_P} && ARRAY['*', left(req.industry_code, 1), req.industry_code]::varchar[]`],
  ['SCALE', `(cardinality(p.eligible_scales) = 0 OR req.scale::enterprise_scale = ANY(p.eligible_scales))`],
  ['CREDIT_SCORE', `(p.min_credit_score IS NULL OR req.credit_score >= p.min_credit_score)`],
  // Whole years in business ≥ N, as a date comparison (cheap per row).
  [
    'YEARS_IN_BUSINESS',
    `(p.min_years_in_business IS NULL
    OR req.established_on <= (req.today - make_interval(years => p.min_years_in_business))::date)`,
  ],
  ['ANNUAL_REVENUE', `(p.min_annual_revenue IS NULL OR req.annual_revenue >= p.min_annual_revenue)`],
  ['DISHONEST_DEBTOR', `NOT req.dishonest_debtor`],
];

export const ELIGIBLE_SQL = CRITERIA_SQL.map(([, predicate]) => predicate).join('\n    AND ');

/**
 * The keys a product accepts, one per (region, industry, guarantee type, term band), '*' for an
 * empty list: the expression `ix_loan_product_match_keys` indexes (migration ForwardMatchKeys).
 */
export const PRODUCT_MATCH_KEYS_SQL =
  `loan_product_match_keys(p.eligible_regions, p.eligible_industries, p.guarantee_type, ` +
  `p.min_term_months, p.max_term_months)`;

/**
 * The keys a request (alias `facts`) can meet: county, prefecture, province or '*' × division,
 * section or '*' × each guarantee it accepts, in its term's band. Reverse matching indexes the same
 * keys over open requests as `financing_request_match_keys()` (migration ReverseMatchKeys); here
 * they are written out, as PostgreSQL never inlines a SQL function with an aggregate and calling
 * it is a noticeable part of a candidate lookup (BENCHMARKS.md). The matching tests check that both
 * directions pair the same requests and products.
 */
export const REQUEST_MATCH_KEYS_SQL = `(SELECT array_agg(region || '|' || industry || '|' || guarantee || '|' ||
  loan_term_band(facts.term_months))
    FROM unnest(ARRAY['*', facts.region_code, facts.prefecture_code || '00', facts.province_code || '0000']) AS region,
         unnest(ARRAY['*', left(facts.industry_code, 1), facts.industry_code]) AS industry,
         unnest(facts.guarantees) AS guarantee)`;

const KEYED_CRITERIA = new Set(['REGION', 'INDUSTRY', 'GUARANTEE']);

const UNKEYED_CRITERIA_SQL = CRITERIA_SQL.filter(([criterion]) => !KEYED_CRITERIA.has(criterion)).map(
  ([, predicate]) => predicate,
);

/**
 * ELIGIBLE_SQL for a request row that carries `match_keys`: REGION ∧ INDUSTRY ∧ GUARANTEE are
 * exactly "some product key is one of the request's keys" (a cartesian product overlaps a
 * cartesian product iff each factor does), which one GIN scan answers. The term band in the keys
 * only narrows the candidates (a band the request's term lies in overlaps the product's range
 * whenever the term does); TERM itself is still checked.
 */
export const KEYED_ELIGIBLE_SQL = [`${PRODUCT_MATCH_KEYS_SQL} && req.match_keys`, ...UNKEYED_CRITERIA_SQL].join(
  '\n    AND ',
);

/**
 * The same for reverse matching, over matchable_request rows `req`: the request's keys are the
 * indexed expression (`ix_matchable_request_match_keys`), the product's the value looked up.
 */
export const REVERSE_KEYED_ELIGIBLE_SQL = [
  `financing_request_match_keys(req.region_code, req.industry_code, req.guarantees, req.term_months) && ` +
    PRODUCT_MATCH_KEYS_SQL,
  ...UNKEYED_CRITERIA_SQL,
].join('\n    AND ');

const RESPONSIVENESS_BY_DAYS_SQL = Array.from({ length: 10 }, (_, k) => `15 * (10 - ${k + 1}) / 9.0`).join(', ');

/** Ranking components, each 0..its weight; the match score is their sum (0–100). */
export const RANKING_COMPONENTS_SQL: ReadonlyArray<[component: string, weight: number, expression: string]> = [
  // Expected rate: the further below the highest acceptable rate, the better.
  ['expectedRate', 40, `40 * (req.max_rate - ${QUOTED_RATE_SQL}) / nullif(req.max_rate, 0)`],
  // Fit of the guarantee asked: unsecured credit asks least of the enterprise.
  [
    'guaranteeFit',
    20,
    `CASE p.guarantee_type WHEN 'CREDIT' THEN 20 WHEN 'GUARANTEE' THEN 14 WHEN 'PLEDGE' THEN 10 ELSE 8 END`,
  ],
  // Institution responsiveness: fewer working days to accept, 15 × (10 − days) / 9 for 1–10 days.
  // Written as a table of the ten values (folded to constants when planned): no division per row.
  // The deadline is the product's copy of its institution's (src/product/sql/institution-copy.sql):
  // no institution is looked up per candidate.
  [
    'responsiveness',
    15,
    `(ARRAY[${RESPONSIVENESS_BY_DAYS_SQL}])[least(greatest(p.institution_response_deadline_days, 1), 10)]`,
  ],
  // Approval likelihood: where the credit score lies between the product's minimum and 1000.
  [
    'approvalLikelihood',
    25,
    `25 * greatest(0, req.credit_score - coalesce(p.min_credit_score, 0)) ` +
      `/ greatest(1000 - coalesce(p.min_credit_score, 0), 1)::numeric`,
  ],
];

const SCORE_TERMS_SQL = RANKING_COMPONENTS_SQL.map(([, , expression]) => `coalesce(${expression}, 0)`);
export const MATCH_SCORE_SQL = `round(${SCORE_TERMS_SQL.join(' + ')}, 4)`;

export const REASONS_SQL = `jsonb_build_object(${RANKING_COMPONENTS_SQL.map(
  ([component, , expression]) => `'${component}', round(coalesce(${expression}, 0), 4)`,
).join(', ')}, 'creditGrade', req.credit_grade, 'incentiveApplied', p.grade_rates ? req.credit_grade)`;
