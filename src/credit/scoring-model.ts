import { CreditPolarity, CreditSource } from './credit-record.entity';
import { BASE_GRADE, BASE_SCORE, CreditFlag, CreditGrade } from './credit-profile.entity';

export { BASE_GRADE, BASE_SCORE, gradeOrBaseSql, scoreOrBaseSql } from './credit-profile.entity';

/**
 * Credit scoring model `credit-v1` (see README.md beside this file). Everything that decides a score
 * is in this file; the SQL below is generated from these tables, so the model is one place,
 * deterministic (integer arithmetic only) and versioned.
 */
export const SCORING_MODEL_VERSION = 'credit-v1';
export const MIN_SCORE = 0;
export const MAX_SCORE = 1000;
/** Positive points counted per source at most, so many small records cannot buy a score. */
export const POSITIVE_CAP_PER_SOURCE = 150;

export const SOURCE_POINTS: Readonly<Record<CreditSource, Readonly<Record<CreditPolarity, number>>>> = {
  [CreditSource.TAX]: { POSITIVE: 80, NEGATIVE: -150 },
  [CreditSource.SOCIAL_INSURANCE]: { POSITIVE: 60, NEGATIVE: -80 },
  [CreditSource.HOUSING_FUND]: { POSITIVE: 40, NEGATIVE: -60 },
  [CreditSource.UTILITIES]: { POSITIVE: 30, NEGATIVE: -40 },
  [CreditSource.CUSTOMS]: { POSITIVE: 40, NEGATIVE: -100 },
  [CreditSource.COURT]: { POSITIVE: 20, NEGATIVE: -200 },
  [CreditSource.MARKET_REGULATION]: { POSITIVE: 40, NEGATIVE: -100 },
  [CreditSource.ENVIRONMENT]: { POSITIVE: 30, NEGATIVE: -120 },
  [CreditSource.OTHER]: { POSITIVE: 20, NEGATIVE: -50 },
};

/** Indicators that weigh more than their source's default, and the flags they raise while active. */
export const INDICATOR_RULES: ReadonlyArray<{
  indicator: string;
  polarity: CreditPolarity;
  points: number;
  flag: CreditFlag | null;
}> = [
  { indicator: '失信被执行人', polarity: CreditPolarity.NEGATIVE, points: -400, flag: CreditFlag.DISHONEST_DEBTOR },
  {
    indicator: '重大税收违法失信主体',
    polarity: CreditPolarity.NEGATIVE,
    points: -300,
    flag: CreditFlag.MAJOR_TAX_VIOLATION,
  },
  { indicator: '经营异常名录', polarity: CreditPolarity.NEGATIVE, points: -120, flag: CreditFlag.ABNORMAL_OPERATIONS },
  { indicator: 'A级纳税人', polarity: CreditPolarity.POSITIVE, points: 120, flag: null },
];

/** Share (percent) of a record's points that still counts, by its age in whole years. Flagged listings do not decay. */
export const DECAY_PERCENT_BY_AGE_YEARS: readonly number[] = [100, 80, 60, 40, 20];

export const GRADE_THRESHOLDS: ReadonlyArray<[CreditGrade, number]> = [
  [CreditGrade.AAA, 900],
  [CreditGrade.AA, 800],
  [CreditGrade.A, 700],
  [CreditGrade.BBB, 600],
  [CreditGrade.BB, 500],
  [CreditGrade.B, 400],
  [CreditGrade.C, 0],
];

const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

// Lookups as CASE expressions over the enum columns (no join, no enum-to-text conversion per record).
const sourcePointsCase = `CASE r.source ${Object.entries(SOURCE_POINTS)
  .map(
    ([source, points]) =>
      `WHEN ${literal(source)} THEN CASE WHEN r.polarity = 'POSITIVE' THEN ${points.POSITIVE} ` +
      `ELSE ${points.NEGATIVE} END`,
  )
  .join(' ')} END`;
const ruleWhen = (rule: (typeof INDICATOR_RULES)[number]) =>
  `WHEN r.indicator = ${literal(rule.indicator)} AND r.polarity = ${literal(rule.polarity)}`;
const rulePointsCase = `CASE
  ${INDICATOR_RULES.map((rule) => `${ruleWhen(rule)} THEN ${rule.points}`).join(' ')} END`;
const ruleFlagCase = `CASE ${INDICATOR_RULES.filter((rule) => rule.flag)
  .map((rule) => `${ruleWhen(rule)} THEN ${literal(rule.flag!)}`)
  .join(' ')} END::varchar`;
const decayCase = `CASE
  ${DECAY_PERCENT_BY_AGE_YEARS.map((percent, years) => `WHEN age_years <= ${years} THEN ${percent}`).join(' ')}
  ELSE 0 END`;
const gradeCase = `CASE
  ${GRADE_THRESHOLDS.map(([grade, min]) => `WHEN score >= ${min} THEN ${literal(grade)}`).join(' ')} END`;

/**
 * Each record's contribution as of `$asOf` for the enterprises in `$enterpriseIds` (bigint[]).
 * Columns: record_id, enterprise_id, source, state (ACTIVE, EXPIRED, NOT_YET_EFFECTIVE),
 * base_points, decay_percent, points, flag. Ages are whole years on timestamps, whatever the session's
 * zone (YEARS_IN_BUSINESS_SQL in src/matching/matching-model.ts).
 */
export function contributionsSql(asOf: string, enterpriseIds: string): string {
  return `
    WITH aged AS (
      SELECT r.id AS record_id, r.enterprise_id, r.source::text AS source,
             CASE WHEN r.expires_on IS NOT NULL AND r.expires_on < ${asOf} THEN 'EXPIRED'
                  WHEN r.recorded_on > ${asOf} THEN 'NOT_YET_EFFECTIVE'
                  ELSE 'ACTIVE' END AS state,
             date_part('year', age((${asOf})::timestamp, r.recorded_on::timestamp))::int AS age_years,
             coalesce(${rulePointsCase}, ${sourcePointsCase}) AS base_points,
             ${ruleFlagCase} AS rule_flag
      FROM credit_record r
      WHERE r.enterprise_id = ANY(${enterpriseIds})
    )
    SELECT a.record_id, a.enterprise_id, a.source, a.state, a.base_points,
           CASE WHEN a.rule_flag IS NOT NULL THEN 100 ELSE ${decayCase.replace(/age_years/g, 'a.age_years')} END AS
             decay_percent,
           CASE WHEN a.state <> 'ACTIVE' THEN 0
                WHEN a.rule_flag IS NOT NULL THEN a.base_points
                ELSE (a.base_points * (${decayCase.replace(/age_years/g, 'a.age_years')})) / 100 END AS points,
           CASE WHEN a.state = 'ACTIVE' THEN a.rule_flag END AS flag
    FROM aged a`;
}

/**
 * Scores, grades and flags for `$enterpriseIds` as of `$asOf`, one row per enterprise, including
 * those without records (they keep the base score).
 */
export function scoresSql(asOf: string, enterpriseIds: string): string {
  return `
    WITH contribution AS (${contributionsSql(asOf, enterpriseIds)}),
    per_source AS (
      SELECT enterprise_id, source,
             least(coalesce(sum(points) FILTER (WHERE points > 0), 0), ${POSITIVE_CAP_PER_SOURCE}) +
               coalesce(sum(points) FILTER (WHERE points < 0), 0) AS points
      FROM contribution GROUP BY enterprise_id, source
    ),
    totals AS (SELECT enterprise_id, sum(points)::int AS delta FROM per_source GROUP BY enterprise_id),
    flags AS (
      SELECT enterprise_id, array_agg(DISTINCT flag ORDER BY flag)::varchar[] AS flags
      FROM contribution WHERE flag IS NOT NULL GROUP BY enterprise_id
    ),
    scored AS (
      SELECT e.id AS enterprise_id,
             greatest(${MIN_SCORE}, least(${MAX_SCORE}, ${BASE_SCORE} + coalesce(t.delta, 0))) AS score,
             coalesce(f.flags, '{}'::varchar[]) AS flags
      FROM unnest(${enterpriseIds}) AS e(id)
      LEFT JOIN totals t ON t.enterprise_id = e.id
      LEFT JOIN flags f ON f.enterprise_id = e.id
    )
    SELECT enterprise_id, score, ${gradeCase} AS grade, flags FROM scored`;
}

/**
 * Whether record `r` counts differently on `today` than on `since` (SQL dates, since < today): it
 * became effective, expired (it counts on its expiresOn day, not after), or, unflagged and still
 * counting on `today`, moved a decay step (an anniversary of its date while younger than the last
 * step). The daily rescoring picks the enterprises with such a record.
 */
export function boundaryCrossedSql(since: string, today: string): string {
  const ageAt = (day: string) => `date_part('year', age((${day})::timestamp, r.recorded_on::timestamp))`;
  return `(
    (r.recorded_on > ${since} AND r.recorded_on <= ${today})
    OR (r.expires_on >= ${since} AND r.expires_on < ${today})
    OR ((${ruleFlagCase}) IS NULL AND r.recorded_on <= ${since} AND (r.expires_on IS NULL OR r.expires_on >= ${today})
        AND ${ageAt(since)} < ${DECAY_PERCENT_BY_AGE_YEARS.length} AND ${ageAt(since)} <> ${ageAt(today)}))`;
}

export function gradeOf(score: number): CreditGrade {
  return GRADE_THRESHOLDS.find(([, min]) => score >= min)![0];
}

if (gradeOf(BASE_SCORE) !== BASE_GRADE) throw new Error('BASE_GRADE must be the grade of BASE_SCORE');
