import { DataSource } from 'typeorm';
import { Actor } from '../common/actor';
import { ForbiddenError } from '../common/errors';
import { fromUnits, money } from '../common/decimal';

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

/** One level below the filter's region: provinces, then prefectures, then counties. */
const REGION_KEY = `CASE WHEN $1::text IS NULL THEN left(e.region_code, 2) || '0000' WHEN length($1::text) = 2 THEN left(e.region_code, 4) || '00' ELSE e.region_code END`;

/** The filter as positional SQL parameters $1…$8, shared by every statement below. */
function parameters(filter: StatsFilter): unknown[] {
  const region = filter.regionCode ? (filter.regionCode.endsWith('0000') ? filter.regionCode.slice(0, 2) : filter.regionCode.endsWith('00') ? filter.regionCode.slice(0, 4) : filter.regionCode) : null;
  const start = filter.from ? `${filter.from}T00:00:00+08:00` : null;
  const end = filter.to ? new Date(new Date(`${filter.to}T00:00:00+08:00`).getTime() + 86_400_000).toISOString() : null;
  const endDate = filter.to ? new Date(Date.parse(`${filter.to}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10) : null;
  return [region, filter.industry ?? null, filter.institutionId ?? null, filter.guaranteeType ?? null, start, end, filter.from ?? null, endDate];
}

const ENTERPRISE = `($1::text IS NULL OR e.region_code LIKE $1::text || '%')
  AND ($2::text IS NULL OR (length($2::text) = 1 AND left(e.industry_code, 1) = $2::text) OR e.industry_code = $2::text)`;
const period = (column: string) => `($5::timestamptz IS NULL OR ${column} >= $5::timestamptz) AND ($6::timestamptz IS NULL OR ${column} < $6::timestamptz)`;
const DATE_PERIOD = `($7::date IS NULL OR d.disbursed_on >= $7::date) AND ($8::date IS NULL OR d.disbursed_on < $8::date)`;
const INSTITUTION = `($3::bigint IS NULL OR a.institution_id = $3::bigint)`;
const GUARANTEE = `($4::text IS NULL OR p.guarantee_type::text = $4::text)`;
const SERVES_REGION = `($1::text IS NULL OR EXISTS (SELECT 1 FROM unnest(i.regions_served) s
  WHERE s LIKE $1::text || '%' OR $1::text LIKE (CASE WHEN s LIKE '__0000' THEN left(s, 2) WHEN s LIKE '____00' THEN left(s, 4) ELSE s END) || '%'))`;

/**
 * Platform figures for analysts and regulators, computed straight from the rows of record, so
 * each equals what a hand-written query over those rows gives. Definitions (README, Analytics):
 * requested = needs posted; accepted = needs first accepted (受理) in the period; granted =
 * approved credit grants; disbursed = tranches paid out (by value date).
 */
export class AnalyticsService {
  constructor(private readonly dataSource: DataSource) {}

  private authorize(actor: Actor): void {
    if (actor.kind !== 'ANALYST' && actor.kind !== 'OPERATOR' && actor.kind !== 'SYSTEM') throw new ForbiddenError('Platform statistics are for analysts and operators');
  }

  async platformStats(actor: Actor, filter: StatsFilter): Promise<PlatformStats> {
    this.authorize(actor);
    const [row] = await this.dataSource.query(
      `SELECT
         (SELECT count(*)::int FROM enterprise e WHERE ${ENTERPRISE} AND ${period('e.registered_at')}) AS enterprises,
         (SELECT count(*)::int FROM institution i WHERE ($3::bigint IS NULL OR i.id = $3::bigint) AND ${SERVES_REGION} AND ($6::timestamptz IS NULL OR i.created_at < $6::timestamptz)) AS institutions,
         (SELECT count(*)::int FROM loan_product p JOIN institution i ON i.id = p.institution_id
          WHERE p.status = 'PUBLISHED' AND ($3::bigint IS NULL OR i.id = $3::bigint) AND ${SERVES_REGION} AND ${GUARANTEE}
            AND ($6::timestamptz IS NULL OR p.created_at < $6::timestamptz)) AS products,
         requested.*, accepted.*, granted.*, disbursed.*, first_time.*
       FROM
         (SELECT count(*)::int AS requested_count, coalesce(sum(r.amount), 0)::text AS requested_amount
          FROM financing_request r JOIN enterprise e ON e.id = r.enterprise_id
          WHERE ${ENTERPRISE} AND ${period('r.posted_at')}
            AND ($4::text IS NULL OR $4::text = ANY(r.acceptable_guarantee_types::text[]))
            AND ($3::bigint IS NULL OR EXISTS (SELECT 1 FROM application a WHERE a.financing_request_id = r.id AND a.institution_id = $3::bigint))) requested,
         (SELECT count(*)::int AS accepted_count, coalesce(sum(r.amount), 0)::text AS accepted_amount
          FROM (SELECT a.financing_request_id, min(a.accepted_at) AS accepted_at FROM application a JOIN loan_product p ON p.id = a.loan_product_id
                WHERE a.accepted_at IS NOT NULL AND ${INSTITUTION} AND ${GUARANTEE} GROUP BY a.financing_request_id) f
          JOIN financing_request r ON r.id = f.financing_request_id JOIN enterprise e ON e.id = r.enterprise_id
          WHERE ${ENTERPRISE} AND ${period('f.accepted_at')}) accepted,
         (SELECT count(*)::int AS granted_count, coalesce(sum(g.amount), 0)::text AS granted_amount,
                 (sum(g.amount * g.annual_rate) / nullif(sum(g.amount), 0))::numeric(9, 4)::text AS weighted_rate,
                 (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM g.approved_at - r.posted_at) / 86400))::numeric(9, 2)::text AS median_days,
                 count(*) FILTER (WHERE p.guarantee_type = 'CREDIT')::int AS credit_count,
                 coalesce(sum(g.amount) FILTER (WHERE p.guarantee_type = 'CREDIT'), 0)::text AS credit_amount
          FROM credit_grant g JOIN application a ON a.id = g.application_id JOIN loan_product p ON p.id = a.loan_product_id
          JOIN financing_request r ON r.id = g.financing_request_id JOIN enterprise e ON e.id = r.enterprise_id
          WHERE g.status = 'APPROVED' AND ${ENTERPRISE} AND ${INSTITUTION} AND ${GUARANTEE} AND ${period('g.approved_at')}) granted,
         (SELECT count(*)::int AS disbursed_count, coalesce(sum(d.amount), 0)::text AS disbursed_amount
          FROM disbursement d JOIN credit_grant g ON g.id = d.credit_grant_id JOIN application a ON a.id = g.application_id
          JOIN loan_product p ON p.id = a.loan_product_id JOIN financing_request r ON r.id = g.financing_request_id JOIN enterprise e ON e.id = r.enterprise_id
          WHERE ${ENTERPRISE} AND ${INSTITUTION} AND ${GUARANTEE} AND ${DATE_PERIOD}) disbursed,
         (SELECT count(*)::int AS first_time
          FROM (SELECT DISTINCT ON (r.enterprise_id) r.enterprise_id, g.approved_at, a.institution_id, p.guarantee_type::text AS guarantee_type
                FROM credit_grant g JOIN application a ON a.id = g.application_id JOIN loan_product p ON p.id = a.loan_product_id
                JOIN financing_request r ON r.id = g.financing_request_id
                WHERE g.status = 'APPROVED' ORDER BY r.enterprise_id, g.approved_at, g.id) f
          JOIN enterprise e ON e.id = f.enterprise_id
          WHERE ${ENTERPRISE} AND ($3::bigint IS NULL OR f.institution_id = $3::bigint) AND ($4::text IS NULL OR f.guarantee_type = $4::text)
            AND ${period('f.approved_at')}) first_time`,
      parameters(filter),
    );
    return this.toStats(row);
  }

  /**
   * The four flows by one dimension, with the same filter and definitions as platformStats. Region
   * goes one level below the filter's (provinces, then prefectures, then counties); industry is the
   * GB/T 4754 section; by guarantee type, a need counts under each type it accepts.
   */
  async breakdown(actor: Actor, dimension: StatsDimension, filter: StatsFilter): Promise<BreakdownRow[]> {
    this.authorize(actor);
    const key: Record<StatsDimension, { requested: string; other: string; from?: string }> = {
      REGION: { requested: REGION_KEY, other: REGION_KEY },
      INDUSTRY: { requested: 'left(e.industry_code, 1)', other: 'left(e.industry_code, 1)' },
      INSTITUTION: { requested: 'ra.institution_id::text', other: 'a.institution_id::text', from: 'JOIN (SELECT DISTINCT financing_request_id, institution_id FROM application) ra ON ra.financing_request_id = r.id' },
      GUARANTEE_TYPE: { requested: 'gt.type', other: 'p.guarantee_type::text', from: 'CROSS JOIN LATERAL unnest(r.acceptable_guarantee_types::text[]) AS gt(type)' },
    };
    const k = key[dimension];
    const groups = await this.flowsBy(
      {
        requested: k.requested,
        requestedFrom: k.from,
        requestedWhere: dimension === 'GUARANTEE_TYPE' ? 'AND ($4::text IS NULL OR gt.type = $4::text)' : dimension === 'INSTITUTION' ? 'AND ($3::bigint IS NULL OR ra.institution_id = $3::bigint)' : '',
        accepted: k.other,
        granted: k.other,
        disbursed: k.other,
      },
      filter,
    );
    return [...groups].map(([groupKey, flows]) => ({ key: groupKey, ...flows })).sort((a, b) => (a.key < b.key ? -1 : 1));
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
         WHERE ${ENTERPRISE} AND ${period('r.posted_at')} AND ($4::text IS NULL OR $4::text = ANY(r.acceptable_guarantee_types::text[]))
           AND ($3::bigint IS NULL OR EXISTS (SELECT 1 FROM application a WHERE a.financing_request_id = r.id AND a.institution_id = $3::bigint))
       ), apps AS (
         SELECT a.* FROM application a JOIN cohort c ON c.id = a.financing_request_id
         WHERE ($3::bigint IS NULL OR a.institution_id = $3::bigint)
       )
       SELECT (SELECT count(*) FROM cohort)::int AS posted,
              (SELECT count(DISTINCT financing_request_id) FROM apps)::int AS applied,
              (SELECT count(DISTINCT financing_request_id) FROM apps WHERE accepted_at IS NOT NULL)::int AS accepted,
              (SELECT count(DISTINCT g.financing_request_id) FROM credit_grant g JOIN apps a ON a.id = g.application_id WHERE g.status = 'APPROVED')::int AS granted,
              (SELECT count(DISTINCT g.financing_request_id) FROM disbursement d JOIN credit_grant g ON g.id = d.credit_grant_id JOIN apps a ON a.id = g.application_id)::int AS disbursed,
              (SELECT count(*) FROM apps WHERE accepted_at IS NOT NULL)::int AS acceptances,
              (SELECT count(*) FROM apps WHERE accepted_at IS NOT NULL AND accepted_at <= response_deadline)::int AS in_time`,
      parameters(filter).slice(0, 6),
    );
    const ratio = (part: number, whole: number) => (whole === 0 ? null : fromUnits((BigInt(part) * 20_000n + BigInt(whole)) / (2n * BigInt(whole)), 4));
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
    const bucket = (column: string) => `date_trunc('${unit}', ${column} AT TIME ZONE 'Asia/Shanghai')::date`;
    const groups = await this.flowsBy(
      {
        requested: bucket('r.posted_at'),
        accepted: bucket('a.accepted_at'),
        granted: bucket('g.approved_at'),
        disbursed: `date_trunc('${unit}', d.disbursed_on)::date`,
      },
      filter,
    );
    return [...groups].map(([period, flows]) => ({ period, ...flows })).sort((a, b) => (a.period < b.period ? -1 : 1));
  }

  /**
   * The four flows grouped by one SQL key expression per flow, with platformStats' filter and
   * definitions: `r` is the need, `e` its enterprise, `a` the (first accepting) application,
   * `p` its product, `g` the grant, `d` the tranche.
   */
  private async flowsBy(
    keys: { requested: string; requestedFrom?: string; requestedWhere?: string; accepted: string; granted: string; disbursed: string },
    filter: StatsFilter,
  ): Promise<Map<string, Flows>> {
    const rows: Array<{ key: string; measure: keyof Flows; count: number; amount: string }> = await this.dataSource.query(
      `SELECT (${keys.requested})::text AS key, 'requested' AS measure, count(*)::int AS count, coalesce(sum(r.amount), 0)::text AS amount
       FROM financing_request r JOIN enterprise e ON e.id = r.enterprise_id ${keys.requestedFrom ?? ''}
       WHERE ${ENTERPRISE} AND ${period('r.posted_at')}
         AND ($4::text IS NULL OR $4::text = ANY(r.acceptable_guarantee_types::text[]))
         AND ($3::bigint IS NULL OR EXISTS (SELECT 1 FROM application a WHERE a.financing_request_id = r.id AND a.institution_id = $3::bigint))
         ${keys.requestedWhere ?? ''}
       GROUP BY 1
       UNION ALL
       SELECT (${keys.accepted})::text, 'accepted', count(*)::int, coalesce(sum(r.amount), 0)::text
       FROM (SELECT DISTINCT ON (a.financing_request_id) a.financing_request_id, a.accepted_at, a.institution_id, p.guarantee_type
             FROM application a JOIN loan_product p ON p.id = a.loan_product_id
             WHERE a.accepted_at IS NOT NULL AND ${INSTITUTION} AND ${GUARANTEE}
             ORDER BY a.financing_request_id, a.accepted_at, a.id) a
       JOIN financing_request r ON r.id = a.financing_request_id JOIN enterprise e ON e.id = r.enterprise_id
       CROSS JOIN LATERAL (SELECT a.guarantee_type) p
       WHERE ${ENTERPRISE} AND ${period('a.accepted_at')}
       GROUP BY 1
       UNION ALL
       SELECT (${keys.granted})::text, 'granted', count(*)::int, coalesce(sum(g.amount), 0)::text
       FROM credit_grant g JOIN application a ON a.id = g.application_id JOIN loan_product p ON p.id = a.loan_product_id
       JOIN financing_request r ON r.id = g.financing_request_id JOIN enterprise e ON e.id = r.enterprise_id
       WHERE g.status = 'APPROVED' AND ${ENTERPRISE} AND ${INSTITUTION} AND ${GUARANTEE} AND ${period('g.approved_at')}
       GROUP BY 1
       UNION ALL
       SELECT (${keys.disbursed})::text, 'disbursed', count(*)::int, coalesce(sum(d.amount), 0)::text
       FROM disbursement d JOIN credit_grant g ON g.id = d.credit_grant_id JOIN application a ON a.id = g.application_id
       JOIN loan_product p ON p.id = a.loan_product_id JOIN financing_request r ON r.id = g.financing_request_id JOIN enterprise e ON e.id = r.enterprise_id
       WHERE ${ENTERPRISE} AND ${INSTITUTION} AND ${GUARANTEE} AND ${DATE_PERIOD}
       GROUP BY 1`,
      parameters(filter),
    );
    const zero = () => ({ count: 0, amount: '0.00' });
    const groups = new Map<string, Flows>();
    for (const row of rows) {
      const flows = groups.get(row.key) ?? { requested: zero(), accepted: zero(), granted: zero(), disbursed: zero() };
      flows[row.measure] = { count: row.count, amount: money.normalize(row.amount) };
      groups.set(row.key, flows);
    }
    return groups;
  }

  private toStats(row: Record<string, any>): PlatformStats {
    const grantedUnits = money.units(row.granted_amount);
    // A share as an exact fraction with 4 decimals, rounded half up: "0.4512".
    const share = (part: bigint, whole: bigint) => (whole === 0n ? null : fromUnits((part * 20_000n + whole) / (2n * whole), 4));
    return {
      enterprisesRegistered: row.enterprises,
      institutions: row.institutions,
      productsPublished: row.products,
      requested: { count: row.requested_count, amount: row.requested_amount },
      accepted: { count: row.accepted_count, amount: row.accepted_amount },
      granted: { count: row.granted_count, amount: row.granted_amount },
      disbursed: { count: row.disbursed_count, amount: row.disbursed_amount },
      weightedAverageGrantedRate: row.weighted_rate,
      medianDaysToGrant: row.median_days,
      firstTimeBorrowers: row.first_time,
      creditGuaranteeShareByCount: share(BigInt(row.credit_count), BigInt(row.granted_count)),
      creditGuaranteeShareByAmount: share(money.units(row.credit_amount), grantedUnits),
    };
  }
}
