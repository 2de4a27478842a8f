import { EntityManager } from 'typeorm';
import { MatchingJobKind } from './matching-job.entity';
import { gradeOrBaseSql, scoreOrBaseSql } from '../credit/credit-profile.entity';
import { OPEN_REQUEST_STATUSES_SQL } from '../financing/financing-request.entity';

/**
 * What other modules tell matching, in their transaction. `matchable_request` (the open requests
 * reverse matching reads, each with its enterprise's facts and score) and `matching_job` (the
 * queued refreshes) belong to matching: the other modules call these and never write either table.
 */

/**
 * A request was posted: it is copied with its enterprise's facts and score into `matchable_request`.
 * The caller holds the enterprise's credit profile (credit-scoring.ts `holdCreditProfile`).
 */
export async function requestPosted(manager: EntityManager, requestId: string): Promise<void> {
  await manager.query(
    `INSERT INTO matchable_request (financing_request_id, enterprise_id, amount, term_months,
       acceptable_guarantee_types, max_rate, valid_until, region_code, prefecture_code, province_code,
       industry_code, scale, credit_score, credit_grade, dishonest_debtor, established_on, annual_revenue)
     SELECT r.id, r.enterprise_id, r.amount, r.term_months,
       r.acceptable_guarantee_types::varchar[], r.max_rate, r.valid_until,
       e.region_code, left(e.region_code, 4), left(e.region_code, 2), e.industry_code, e.scale::text,
       ${scoreOrBaseSql('cp')}, ${gradeOrBaseSql('cp')}, coalesce('DISHONEST_DEBTOR' = ANY(cp.flags), false),
       e.established_on, e.annual_revenue
     FROM financing_request r JOIN enterprise e ON e.id = r.enterprise_id
     LEFT JOIN credit_profile cp ON cp.enterprise_id = e.id
     WHERE r.id = $1
     ON CONFLICT (financing_request_id) DO NOTHING`,
    [requestId],
  );
}

/** Requests that found credit or were withdrawn leave the pool that reverse matching reads. */
export async function requestsClosed(manager: EntityManager, requestIds: string[]): Promise<void> {
  await manager.query(
    `DELETE FROM matchable_request m USING financing_request r
     WHERE m.financing_request_id = r.id AND r.id = ANY($1::bigint[])
       AND r.status NOT IN ${OPEN_REQUEST_STATUSES_SQL}`,
    [requestIds],
  );
}

/**
 * Enterprises' scores changed: the open requests' copies change with them (reverse matching ranks
 * and excludes by them); the new values travel as arrays, so nothing is read twice. Then a refresh
 * is queued for each enterprise that has open requests (the rows just updated): there is nothing to
 * re-match for the others. The ANY condition lets the planner see how few rows are meant: joined on
 * the arrays alone it hashed all of matchable_request instead of probing the enterprise index.
 */
export async function scoresChanged(
  manager: EntityManager,
  changed: Array<{ enterprise_id: string; score: number; grade: string; dishonest_debtor: boolean }>,
): Promise<void> {
  if (changed.length === 0) return;
  await manager.query(
    `WITH copied AS (
       UPDATE matchable_request m
       SET credit_score = c.score, credit_grade = c.grade, dishonest_debtor = c.dishonest_debtor
       FROM unnest($1::bigint[], $2::smallint[], $3::varchar[], $4::boolean[])
            AS c(enterprise_id, score, grade, dishonest_debtor)
       WHERE m.enterprise_id = c.enterprise_id AND m.enterprise_id = ANY($1::bigint[])
       RETURNING m.enterprise_id
     )
     INSERT INTO matching_job (kind, subject_id) SELECT DISTINCT $5::matching_job_kind, enterprise_id FROM copied`,
    [
      changed.map((row) => row.enterprise_id),
      changed.map((row) => row.score),
      changed.map((row) => row.grade),
      changed.map((row) => row.dishonest_debtor),
      MatchingJobKind.SCORE_CHANGED,
    ],
  );
}

/**
 * China days after `since` up to `today` passed: an open request's stored matches were ranked with the years in
 * business of their day, so an enterprise whose founding anniversary took it past a published product's minimum in
 * that window gets a refresh queued. The condition is the eligibility rule's own (matching-model.ts), evaluated on
 * both ends of the window; only the distinct minimums of published products are tried.
 */
export async function anniversariesReached(manager: EntityManager, since: string, today: string): Promise<void> {
  await manager.query(
    `INSERT INTO matching_job (kind, subject_id)
     SELECT DISTINCT $3::matching_job_kind, m.enterprise_id FROM matchable_request m
     JOIN (SELECT DISTINCT min_years_in_business AS years FROM loan_product
           WHERE status = 'PUBLISHED' AND min_years_in_business IS NOT NULL) p
       ON m.established_on <= ($2::date - make_interval(years => p.years))::date
      AND m.established_on > ($1::date - make_interval(years => p.years))::date`,
    [since, today, MatchingJobKind.YEARS_IN_BUSINESS_CHANGED],
  );
}

/** A product was published, changed, suspended or retired: its matches are refreshed in the background. */
export async function productChanged(manager: EntityManager, productId: string): Promise<void> {
  await manager.query(`INSERT INTO matching_job (kind, subject_id) VALUES ($1, $2)`, [
    MatchingJobKind.PRODUCT_CHANGED,
    productId,
  ]);
}
