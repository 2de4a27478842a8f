import { EntityManager } from 'typeorm';
import { recomputeCreditProfiles } from '../credit/credit-scoring';

/**
 * `matchable_request` belongs to matching: the open requests reverse matching reads, each with its
 * enterprise's facts and score. Other modules tell matching what happened through these calls and
 * never write the table themselves (the score copy in credit-scoring.ts is the one exception left).
 */

/** A request was posted: it is copied with its enterprise's facts and score into `matchable_request`. */
export async function requestPosted(manager: EntityManager, requestId: string): Promise<void> {
  // A rescoring in progress holds the enterprise's profile (credit-scoring.ts) and copies the new
  // score into the open requests it sees: this request is not among them until it commits. Waiting
  // for it here means the copy below reads the new score instead of keeping the old one.
  const [facts]: Array<{ enterprise_id: string; locked: boolean }> = await manager.query(
    `SELECT r.enterprise_id::text,
            EXISTS (SELECT 1 FROM credit_profile cp WHERE cp.enterprise_id = r.enterprise_id FOR SHARE) AS locked
     FROM financing_request r WHERE r.id = $1`,
    [requestId],
  );
  // No profile yet (an enterprise registered before scoring): score it now, which waits for a
  // rescoring in progress that is creating one and leaves the profile locked.
  if (facts && !facts.locked) await recomputeCreditProfiles(manager, [facts.enterprise_id]);
  await manager.query(
    `INSERT INTO matchable_request (financing_request_id, enterprise_id, amount, term_months, acceptable_guarantee_types,
       max_rate, valid_until, region_code, prefecture_code, province_code, industry_code, scale, credit_score, credit_grade,
       dishonest_debtor, established_on, annual_revenue)
     SELECT r.id, r.enterprise_id, r.amount, r.term_months, r.acceptable_guarantee_types::varchar[], r.max_rate, r.valid_until,
       e.region_code, left(e.region_code, 4), left(e.region_code, 2), e.industry_code, e.scale::text,
       coalesce(cp.score, 600), coalesce(cp.grade, 'BBB'), coalesce('DISHONEST_DEBTOR' = ANY(cp.flags), false),
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
       AND r.status NOT IN ('OPEN', 'APPLIED', 'ACCEPTED')`,
    [requestIds],
  );
}
