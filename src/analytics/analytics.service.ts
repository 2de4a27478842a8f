import { DataSource } from 'typeorm';
import { Actor } from '../common/actor';
import { addDays } from '../common/clock';
import { ForbiddenError } from '../common/errors';
import { fromUnits, money, rate, toUnits } from '../common/decimal';
import { preparedQuery } from '../common/database/prepared';
import { SnapshotResults } from '../common/database/snapshot-results';

/** What an analyst may narrow the figures to. Dates are China-time calendar days, both ends inclusive. */
export interface StatsFilter {
  regionCode?: string | null;
  /** A GB/T 4754 section ("C") or division ("C13"). */
  industry?: string | null;
  institutionId?: string | null;
  guaranteeType?: string | null;
  from?: string | null;
  to?: string | null;
}

export interface CountAmount {
  count: number;
  amount: string;
}

export interface PlatformStats {
  enterprisesRegistered: number;
  institutions: number;
  productsPublished: number;
  requested: CountAmount;
  accepted: CountAmount;
  granted: CountAmount;
  disbursed: CountAmount;
  weightedAverageGrantedRate: string | null;
  medianDaysToGrant: string | null;
  firstTimeBorrowers: number;
  creditGuaranteeShareByCount: string | null;
  creditGuaranteeShareByAmount: string | null;
}

export type StatsDimension = 'REGION' | 'INDUSTRY' | 'INSTITUTION' | 'GUARANTEE_TYPE';

export interface Flows {
  requested: CountAmount;
  accepted: CountAmount;
  granted: CountAmount;
  disbursed: CountAmount;
}

export interface BreakdownRow extends Flows {
  key: string;
}

export interface SeriesPoint extends Flows {
  period: string;
}

export interface Funnel {
  posted: number;
  applied: number;
  accepted: number;
  granted: number;
  disbursed: number;
  appliedRate: string | null;
  acceptedRate: string | null;
  grantedRate: string | null;
  disbursedRate: string | null;
  acceptedBeforeDeadlineShare: string | null;
}

/** The filter as positional SQL parameters $1…$6 over the rows of record (the funnel reads those). */
function rowParameters(filter: StatsFilter): unknown[] {
  const start = filter.from ? `${filter.from}T00:00:00+08:00` : null;
  return [
    regionPrefix(filter.regionCode),
    filter.industry ?? null,
    filter.institutionId ?? null,
    filter.guaranteeType ?? null,
    start,
    periodEnd(filter),
  ];
}

/** The instant the period ends (exclusive): midnight China time after its last day; null when open. */
function periodEnd(filter: StatsFilter): string | null {
  return filter.to ? `${addDays(filter.to, 1)}T00:00:00+08:00` : null;
}

/** "230000" → "23", "230100" → "2301", a county stays itself: the prefix its subdivisions share. */
function regionPrefix(code: string | null | undefined): string | null {
  if (!code) return null;
  return code.endsWith('0000') ? code.slice(0, 2) : code.endsWith('00') ? code.slice(0, 4) : code;
}

const ENTERPRISE = `($1::text IS NULL OR e.region_code LIKE $1::text || '%')
  AND ($2::text IS NULL OR (length($2::text) = 1 AND left(e.industry_code, 1) = $2::text)
    OR e.industry_code = $2::text)`;
const period = (column: string) =>
  `($5::timestamptz IS NULL OR ${column} >= $5::timestamptz)
    AND ($6::timestamptz IS NULL OR ${column} < $6::timestamptz)`;

/**
 * The period cut into what the rollup holds: whole months from the month grain, the days at
 * either end from the day grain, and the pending deltas by day. Dates are China-time days;
 * 'infinity' bounds stand for an open end, an empty range for nothing.
 */
function periodSlices(filter: StatsFilter, useMonths: boolean) {
  const from = filter.from ?? '-infinity';
  const until = filter.to ? addDays(filter.to, 1) : 'infinity';
  const none: [string, string] = ['infinity', 'infinity'];
  if (useMonths) {
    const monthFrom = !filter.from
      ? '-infinity'
      : filter.from.endsWith('-01')
        ? filter.from
        : firstOfNextMonth(filter.from);
    const monthUntil = !filter.to ? 'infinity' : `${until.slice(0, 7)}-01`;
    const before = (a: string, b: string) =>
      a === '-infinity' || b === 'infinity' || (a !== 'infinity' && b !== '-infinity' && a < b);
    if (before(monthFrom, monthUntil)) {
      const head: [string, string] = filter.from ? [from, monthFrom] : none;
      const tail: [string, string] = filter.to ? [monthUntil, until] : none;
      return [monthFrom, monthUntil, ...head, ...tail, from, until];
    }
  }
  return [...none, from, until, ...none, from, until];
}

function firstOfNextMonth(day: string): string {
  const [year, month] = day.split('-').map(Number);
  return month === 12 ? `${year + 1}-01-01` : `${year}-${String(month + 1).padStart(2, '0')}-01`;
}

/** One level below the filter's region: provinces, then prefectures, then counties. */
const REGION_KEY = `CASE WHEN $1::text IS NULL THEN left(s.region_code, 2) || '0000'
  WHEN length($1::text) = 2 THEN left(s.region_code, 4) || '00' ELSE s.region_code END`;

/**
 * Which rollup grains answer: the county × industry grains when a region or industry narrows the
 * figures, else the national ones (one row per day or month and measure); for all time, where
 * the period does not matter to the answer, the national all-time grain (one row per measure).
 */
type Grains = 'county' | 'national' | 'nationalAllTime';

const grainsFor = (filter: StatsFilter, periodMatters: boolean): Grains =>
  !isNational(filter) ? 'county' : !periodMatters && !filter.from && !filter.to ? 'nationalAllTime' : 'national';

/**
 * Rollup rows ($5…$10: month range, two day ranges) and pending deltas ($11, $12) of one slice,
 * narrowed by region ($1) and industry ($2). `s` is the row; columns as in stats_rollup. The
 * all-time grain's day is '-infinity', inside the unbounded "month" range an open period gets.
 */
function facts(slice: string, grains: Grains): string {
  const narrowed = `AND ($1::text IS NULL OR s.region_code LIKE $1::text || '%')
    AND ($2::text IS NULL OR (length($2::text) = 1 AND left(s.industry_code, 1) = $2::text)
      OR s.industry_code = $2::text)`;
  const [month, day, rollupNarrowed] =
    grains === 'county' ? ['M', 'D', narrowed] : [grains === 'nationalAllTime' ? 'NT' : 'NM', 'ND', ''];
  const columns =
    's.day, s.measure, s.region_code, s.industry_code, s.institution_id, s.guarantee_type, ' +
    's.lead_days, s.count, s.amount, s.amount_rate';
  return `(SELECT ${columns} FROM stats_rollup s WHERE ${slice} AND s.grain = '${month}' AND s.day >= $5::date
    AND s.day < $6::date ${rollupNarrowed}
    UNION ALL SELECT ${columns} FROM stats_rollup s WHERE ${slice} AND s.grain = '${day}' AND s.day >= $7::date
      AND s.day < $8::date ${rollupNarrowed}
    UNION ALL SELECT ${columns} FROM stats_rollup s WHERE ${slice} AND s.grain = '${day}' AND s.day >= $9::date
      AND s.day < $10::date ${rollupNarrowed}
    UNION ALL SELECT ${columns} FROM stats_delta s WHERE ${slice} AND s.day >= $11::date
      AND s.day < $12::date ${narrowed})`;
}

/** True when no region or industry narrows the figures: the national grains hold them. */
const isNational = (filter: StatsFilter) => !filter.regionCode && !filter.industry;

/** The filter as the parameters of facts(): institution 0 and guarantee '' mean any. */
function factParameters(filter: StatsFilter, useMonths: boolean): unknown[] {
  return [
    regionPrefix(filter.regionCode),
    filter.industry ?? null,
    filter.institutionId ?? '0',
    filter.guaranteeType ?? '',
    ...periodSlices(filter, useMonths),
  ];
}

const SERVES_REGION = `($1::text IS NULL OR EXISTS (SELECT 1 FROM unnest(i.regions_served) s
  WHERE s LIKE $1::text || '%'
    OR $1::text LIKE (CASE WHEN s LIKE '__0000' THEN left(s, 2) WHEN s LIKE '____00' THEN left(s, 4) ELSE s END)
      || '%'))`;

const FLOW_MEASURES = `s.measure IN ('requested', 'accepted', 'granted', 'disbursed')`;

/**
 * Platform figures for analysts and regulators. The flows are read from the exact rollup that
 * triggers keep in the same transactions as the rows of record (README, Analytics): rollup rows
 * plus pending deltas always equal the figures over the raw rows. Definitions: requested = needs
 * posted; accepted = needs first accepted (受理) in the period; granted = approved credit grants;
 * disbursed = tranches paid out (by value date).
 */
export class AnalyticsService {
  /** platformStats answers by filter, exact while the database snapshot has not moved (dashboards poll them). */
  readonly platformStatsRead = new SnapshotResults<PlatformStats>(64);

  constructor(private readonly dataSource: DataSource) {}

  private authorize(actor: Actor): void {
    if (actor.kind !== 'ANALYST' && actor.kind !== 'OPERATOR' && actor.kind !== 'SYSTEM')
      throw new ForbiddenError('Platform statistics are for analysts and operators');
  }

  async platformStats(actor: Actor, filter: StatsFilter): Promise<PlatformStats> {
    this.authorize(actor);
    const grains = grainsFor(filter, false);
    // The national shapes as prepared statements (one name per text): planning cost as much as
    // running. A region or industry filter is planned each time (a generic plan cannot see which
    // counties the prefix covers, and ran slower than a custom one; BENCHMARKS.md).
    const query = <T>(text: string, parameters: unknown[]): Promise<T[]> =>
      grains !== 'county'
        ? preparedQuery<T>(this.dataSource, `platform-stats-${grains}`, text, parameters)
        : this.dataSource.query(text, parameters);
    // Only a region narrows institutions and products. The national texts leave that out, so their
    // generic plan is as good as a custom one and PostgreSQL keeps it (else it plans every call).
    const institutionInRegion = grains === 'county' ? `AND ${SERVES_REGION}` : '';
    const productInRegion =
      grains === 'county'
        ? `AND ($1::text IS NULL OR EXISTS (SELECT 1 FROM institution i WHERE i.id = p.institution_id
          AND ${SERVES_REGION}))`
        : '';
    const parameters = [...factParameters(filter, true), periodEnd(filter)];
    const anyOrThisInstitutionAndGuarantee =
      `s.institution_id = ANY(ARRAY[0, $3::bigint]) ` + `AND s.guarantee_type = ANY(ARRAY['', $4::text, 'CREDIT'])`;
    return this.platformStatsRead.read<PlatformStatsRow>(
      JSON.stringify(parameters),
      `SELECT row_to_json(t) FROM (SELECT
         (SELECT count(*)::int FROM institution i WHERE ($3::bigint = 0 OR i.id = $3::bigint) ${institutionInRegion}
           AND ($13::timestamptz IS NULL OR i.created_at < $13::timestamptz)) AS institutions,
         (SELECT count(*)::int FROM loan_product p
          WHERE p.status = 'PUBLISHED' AND ($3::bigint = 0 OR p.institution_id = $3::bigint) AND ($4::text = ''
            OR p.guarantee_type::text = $4::text)
            AND ($13::timestamptz IS NULL OR p.created_at < $13::timestamptz)
            ${productInRegion}) AS products,
         (SELECT coalesce(json_agg(f), '[]') FROM (
            SELECT s.institution_id::text AS institution, s.guarantee_type AS guarantee, s.measure, s.lead_days,
                   sum(s.count)::text AS count, sum(s.amount)::text AS amount, sum(s.amount_rate)::text AS amount_rate
            FROM
              ${facts(anyOrThisInstitutionAndGuarantee, grains)} s
            GROUP BY 1, 2, 3, 4) f) AS facts) t`,
      parameters,
      query,
      (read) => this.toStats(filter, read),
    );
  }

  /**
   * The four flows by one dimension, with the same filter and definitions as platformStats. Region
   * goes one level below the filter's (provinces, then prefectures, then counties); industry is the
   * GB/T 4754 section; by guarantee type, a need counts under each type it accepts.
   */
  async breakdown(actor: Actor, dimension: StatsDimension, filter: StatsFilter): Promise<BreakdownRow[]> {
    this.authorize(actor);
    const anyOrOne = `s.institution_id = $3::bigint AND s.guarantee_type = $4::text`;
    const byDimension: Record<StatsDimension, { key: string; slice: string; grains: Grains }> = {
      REGION: { key: REGION_KEY, slice: anyOrOne, grains: 'county' },
      INDUSTRY: { key: 'left(s.industry_code, 1)', slice: anyOrOne, grains: 'county' },
      INSTITUTION: {
        key: 's.institution_id::text',
        slice:
          `s.institution_id > 0 AND ($3::bigint = 0 OR s.institution_id = $3::bigint) ` +
          `AND s.guarantee_type = $4::text`,
        grains: grainsFor(filter, false),
      },
      GUARANTEE_TYPE: {
        key: 's.guarantee_type',
        slice:
          `s.institution_id = $3::bigint AND s.guarantee_type > '' ` +
          `AND ($4::text = '' OR s.guarantee_type = $4::text)`,
        grains: grainsFor(filter, false),
      },
    };
    const { key, slice, grains } = byDimension[dimension];
    const groups = await this.flowsBy(key, `${slice} AND ${FLOW_MEASURES}`, filter, true, grains);
    return [...groups]
      .map(([groupKey, flows]) => ({ key: groupKey, ...flows }))
      .sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  /**
   * The funnel of the needs posted in the period (a cohort): applied, accepted, granted, disbursed,
   * with conversion rates, and the share of acceptances made before the response deadline.
   */
  async funnel(actor: Actor, filter: StatsFilter): Promise<Funnel> {
    this.authorize(actor);
    const [row] = await this.dataSource.query(
      `WITH cohort AS (
         SELECT r.id FROM financing_request r JOIN enterprise e ON e.id = r.enterprise_id
         WHERE ${ENTERPRISE} AND ${period('r.posted_at')} AND ($4::text IS NULL OR $4::text =
           ANY(r.acceptable_guarantee_types::text[]))
           AND ($3::bigint IS NULL OR EXISTS (SELECT 1 FROM application a WHERE a.financing_request_id = r.id
             AND a.institution_id = $3::bigint))
       ), apps AS (
         SELECT a.* FROM application a JOIN cohort c ON c.id = a.financing_request_id
         WHERE ($3::bigint IS NULL OR a.institution_id = $3::bigint)
       )
       SELECT (SELECT count(*) FROM cohort)::int AS posted,
              (SELECT count(DISTINCT financing_request_id) FROM apps)::int AS applied,
              (SELECT count(DISTINCT financing_request_id) FROM apps WHERE accepted_at IS NOT NULL)::int AS accepted,
              (SELECT count(DISTINCT g.financing_request_id) FROM credit_grant g JOIN apps a ON a.id = g.application_id
                WHERE g.status = 'APPROVED')::int AS granted,
              (SELECT count(DISTINCT g.financing_request_id) FROM disbursement d JOIN credit_grant g
                ON g.id = d.credit_grant_id JOIN apps a ON a.id = g.application_id)::int AS disbursed,
              (SELECT count(*) FROM apps WHERE accepted_at IS NOT NULL)::int AS acceptances,
              (SELECT count(*) FROM apps WHERE accepted_at IS NOT NULL AND accepted_at <= response_deadline)::int AS
                in_time`,
      rowParameters(filter),
    );
    const ratio = (part: number, whole: number) =>
      whole === 0 ? null : fromUnits((BigInt(part) * 20_000n + BigInt(whole)) / (2n * BigInt(whole)), 4);
    return {
      posted: row.posted,
      applied: row.applied,
      accepted: row.accepted,
      granted: row.granted,
      disbursed: row.disbursed,
      appliedRate: ratio(row.applied, row.posted),
      acceptedRate: ratio(row.accepted, row.applied),
      grantedRate: ratio(row.granted, row.accepted),
      disbursedRate: ratio(row.disbursed, row.granted),
      acceptedBeforeDeadlineShare: ratio(row.in_time, row.acceptances),
    };
  }

  /** The four flows per day, ISO week or month (China time), oldest first. */
  async series(actor: Actor, granularity: 'DAY' | 'WEEK' | 'MONTH', filter: StatsFilter): Promise<SeriesPoint[]> {
    this.authorize(actor);
    const unit = granularity.toLowerCase();
    const groups = await this.flowsBy(
      `date_trunc('${unit}', s.day)::date`,
      `s.institution_id = $3::bigint AND s.guarantee_type = $4::text AND ${FLOW_MEASURES}`,
      filter,
      granularity === 'MONTH',
      grainsFor(filter, true),
    );
    return [...groups].map(([period, flows]) => ({ period, ...flows })).sort((a, b) => (a.period < b.period ? -1 : 1));
  }

  /** Folds the pending deltas into the rollup; the server runs it every second, loaders after a load. */
  async compact(): Promise<number> {
    const [row] = await this.dataSource.query(
      `SELECT CASE WHEN pg_try_advisory_xact_lock(4242) THEN stats_compact() ELSE 0 END AS folded`,
    );
    return Number(row.folded);
  }

  /** The four flows of one rollup slice grouped by one SQL key expression over its rows `s`. */
  private async flowsBy(
    key: string,
    slice: string,
    filter: StatsFilter,
    useMonths: boolean,
    grains: Grains,
  ): Promise<Map<string, Flows>> {
    const rows: Array<{ key: string; measure: keyof Flows; count: string; amount: string }> =
      await this.dataSource.query(
        `SELECT (${key})::text AS key, s.measure, sum(s.count)::text AS count, sum(s.amount)::text AS amount
       FROM ${facts(slice, grains)} s GROUP BY 1, 2`,
        factParameters(filter, useMonths),
      );
    const zero = () => ({ count: 0, amount: '0.00' });
    const groups = new Map<string, Flows>();
    for (const row of rows) {
      const flows = groups.get(row.key) ?? { requested: zero(), accepted: zero(), granted: zero(), disbursed: zero() };
      flows[row.measure] = { count: Number(row.count), amount: money.normalize(row.amount) };
      groups.set(row.key, flows);
    }
    // Deltas that cancel out can leave an empty group behind.
    for (const [groupKey, flows] of groups)
      if (Object.values(flows).every((flow) => flow.count === 0)) groups.delete(groupKey);
    return groups;
  }

  private toStats(filter: StatsFilter, row: PlatformStatsRow): PlatformStats {
    const institution = filter.institutionId ?? '0';
    const guarantee = filter.guaranteeType ?? '';
    const of = (measure: string, institutionSlice = institution, guaranteeSlice = guarantee) =>
      row.facts.filter(
        (f) => f.measure === measure && f.institution === institutionSlice && f.guarantee === guaranteeSlice,
      );
    const total = (facts: FactRow[]) => ({
      count: facts.reduce((sum, f) => sum + BigInt(f.count), 0n),
      amount: facts.reduce((sum, f) => sum + money.units(f.amount), 0n),
      amountRate: facts.reduce((sum, f) => sum + toUnits(f.amount_rate, 6), 0n),
    });
    const pair = (measure: string) => {
      const t = total(of(measure));
      return { count: Number(t.count), amount: money.format(t.amount) };
    };
    const granted = total(of('granted'));
    const credit = filter.guaranteeType
      ? filter.guaranteeType === 'CREDIT'
        ? granted
        : total([])
      : total(of('granted', institution, 'CREDIT'));
    // A share as an exact fraction with 4 decimals, rounded half up: "0.4512".
    const share = (part: bigint, whole: bigint) =>
      whole === 0n ? null : fromUnits((part * 20_000n + whole) / (2n * whole), 4);
    return {
      enterprisesRegistered: Number(total(of('registered', '0', '')).count),
      institutions: row.institutions,
      productsPublished: row.products,
      requested: pair('requested'),
      accepted: pair('accepted'),
      granted: { count: Number(granted.count), amount: money.format(granted.amount) },
      disbursed: pair('disbursed'),
      // Σ amount × rate has 6 decimals and Σ amount 2, so their quotient is in rate units (4); half up.
      weightedAverageGrantedRate:
        granted.amount === 0n ? null : rate.format((2n * granted.amountRate + granted.amount) / (2n * granted.amount)),
      medianDaysToGrant: median(of('granted')),
      firstTimeBorrowers: Number(total(of('first_grant')).count),
      creditGuaranteeShareByCount: share(credit.count, granted.count),
      creditGuaranteeShareByAmount: share(credit.amount, granted.amount),
    };
  }
}

interface PlatformStatsRow {
  institutions: number;
  products: number;
  facts: FactRow[];
}

interface FactRow {
  institution: string;
  guarantee: string;
  measure: string;
  lead_days: number;
  count: string;
  amount: string;
  amount_rate: string;
}

/** percentile_cont(0.5) of the grants' lead days (whole China-time days), from their histogram, with 2 decimals. */
function median(grants: FactRow[]): string | null {
  const histogram = new Map<number, bigint>();
  for (const f of grants) histogram.set(f.lead_days, (histogram.get(f.lead_days) ?? 0n) + BigInt(f.count));
  const days = [...histogram.keys()].filter((d) => histogram.get(d)! > 0n).sort((a, b) => a - b);
  const n = days.reduce((sum, d) => sum + histogram.get(d)!, 0n);
  if (n === 0n) return null;
  const valueAt = (position: bigint) => {
    let seen = 0n;
    for (const d of days) {
      seen += histogram.get(d)!;
      if (position < seen) return BigInt(d);
    }
    throw new Error('position beyond the histogram');
  };
  return fromUnits((valueAt((n - 1n) / 2n) + valueAt(n / 2n)) * 50n, 2);
}
