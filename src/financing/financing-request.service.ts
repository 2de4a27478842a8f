import { DataSource, EntityManager } from 'typeorm';
import { Actor, assertVerifiedEnterprise } from '../common/actor';
import { BusinessRuleError, ForbiddenError } from '../common/errors';
import { money } from '../common/decimal';
import { Connection, PageRequest } from '../common/pagination';
import { ALL_ROWS, bothFilters, entityReader, NO_ROWS } from '../common/database/entity-reader';
import { ChildFilter } from '../common/loaders';
import { runIdempotent } from '../common/idempotency';
import { chinaDate } from '../lending/response-deadline';
import { GuaranteeType } from '../product/loan-product.entity';
import { FinancingRequest, FinancingRequestStatus } from './financing-request.entity';
import { MatchingService } from '../matching/matching.service';
import { recomputeCreditProfiles } from '../credit/credit-scoring';

export interface PostFinancingRequestInput {
  amount: string;
  termMonths: number;
  purpose: string;
  acceptableGuaranteeTypes: GuaranteeType[];
  maxRate: string;
  validUntil: string;
  idempotencyKey?: string | null;
}

export class FinancingRequestService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly matching: MatchingService,
  ) {}

  private get reader() {
    return entityReader(this.dataSource, FinancingRequest);
  }

  /** 发布融资需求 — an enterprise posts a need for itself. */
  postFinancingRequest(actor: Actor, input: PostFinancingRequestInput): Promise<FinancingRequest> {
    if (actor.kind !== 'ENTERPRISE') throw new ForbiddenError('Only an enterprise posts financing requests');
    assertVerifiedEnterprise(actor);
    if (money.units(input.amount) <= 0n) throw new BusinessRuleError('INVALID_AMOUNT', 'amount must be above zero', ['input', 'amount']);
    if (input.validUntil < chinaDate(new Date())) throw new BusinessRuleError('VALID_UNTIL_PAST', 'validUntil must not be in the past', ['input', 'validUntil']);
    const { idempotencyKey, ...fields } = input;
    return runIdempotent(this.dataSource, actor, {
      operation: 'postFinancingRequest',
      key: idempotencyKey,
      input: fields,
      run: async (manager) => {
        const request = await manager.getRepository(FinancingRequest).save(
          manager.getRepository(FinancingRequest).create({
            ...fields,
            acceptableGuaranteeTypes: [...new Set(fields.acceptableGuaranteeTypes)],
            enterpriseId: actor.enterpriseId,
            status: FinancingRequestStatus.OPEN,
          }),
        );
        await addMatchableRequest(manager, request.id);
        // Posting matches synchronously: the enterprise sees its products in the answer.
        await this.matching.refreshRequestMatches(manager, [request.id]);
        return manager.getRepository(FinancingRequest).findOneByOrFail({ id: request.id });
      },
      remember: (request) => ({ id: request.id }),
      replay: (remembered: { id: string }, manager) => manager.getRepository(FinancingRequest).findOneByOrFail({ id: remembered.id }),
    });
  }

  /**
   * Operators see all; an enterprise its own; an institution the needs that match one of its
   * products (to claim, 抢单) and those that reached it. SQL over the table aliased `self`; the
   * one definition used by lists, `node(id:)` and an enterprise's `financingRequests`.
   */
  visibility(actor: Actor): ChildFilter {
    switch (actor.kind) {
      case 'OPERATOR':
      case 'SYSTEM':
        return { key: 'all', ...ALL_ROWS };
      case 'ENTERPRISE':
        return { key: `enterprise:${actor.enterpriseId}`, where: 'self.enterprise_id = :enterpriseId', params: { enterpriseId: actor.enterpriseId } };
      case 'INSTITUTION':
        return {
          key: `institution:${actor.institutionId}`,
          where: `(EXISTS (SELECT 1 FROM application a WHERE a.financing_request_id = self.id AND a.institution_id = :institutionId)
            OR EXISTS (SELECT 1 FROM product_match m JOIN loan_product p ON p.id = m.loan_product_id
                       WHERE m.financing_request_id = self.id AND p.institution_id = :institutionId))`,
          params: { institutionId: actor.institutionId },
        };
      default:
        return { key: 'none', ...NO_ROWS };
    }
  }

  /** IDs of the enterprise's needs that can still be withdrawn (no credit granted yet). */
  async openRequestIdsOf(enterpriseId: string): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `SELECT id::text AS id FROM financing_request
       WHERE enterprise_id = $1 AND status IN ('OPEN', 'APPLIED', 'ACCEPTED') ORDER BY id`,
      [enterpriseId],
    );
    return rows.map((row) => row.id);
  }

  findVisible(actor: Actor, id: string): Promise<FinancingRequest | null> {
    return this.reader.findOne('self', this.visibility(actor), id);
  }

  list(actor: Actor, page: PageRequest, status?: FinancingRequestStatus | null): Promise<Connection<FinancingRequest>> {
    if (actor.kind === 'ANONYMOUS' || actor.kind === 'ANALYST') throw new ForbiddenError('Financing requests are not available to this actor');
    const visible = this.visibility(actor);
    return this.reader.page('self', status ? bothFilters(visible, { where: 'self.status = :status', params: { status } }) : visible, page);
  }
}

/**
 * A request's status follows its most advanced application, unless the enterprise withdrew it.
 * Set-based: recomputes every request given, in the caller's transaction.
 */
export async function refreshFinancingRequestStatus(manager: EntityManager, requestIds: string[]): Promise<void> {
  if (requestIds.length === 0) return;
  await manager.query(
    `UPDATE financing_request r SET status = s.status, updated_at = now()
     FROM (
       SELECT r2.id,
         CASE
           WHEN r2.status = 'WITHDRAWN' THEN 'WITHDRAWN'
           WHEN bool_or(a.status = 'DISBURSED') THEN 'DISBURSED'
           WHEN bool_or(a.status = 'CREDIT_GRANTED') THEN 'CREDIT_GRANTED'
           WHEN bool_or(a.status = 'ACCEPTED') THEN 'ACCEPTED'
           WHEN bool_or(a.status = 'SUBMITTED') THEN 'APPLIED'
           ELSE 'OPEN'
         END::financing_request_status AS status
       FROM financing_request r2
       LEFT JOIN application a ON a.financing_request_id = r2.id
       WHERE r2.id = ANY($1::bigint[])
       GROUP BY r2.id
     ) s
     WHERE r.id = s.id AND r.status IS DISTINCT FROM s.status`,
    [requestIds],
  );
  // Requests that found credit or were withdrawn leave the pool that reverse matching reads.
  await manager.query(
    `DELETE FROM matchable_request m USING financing_request r
     WHERE m.financing_request_id = r.id AND r.id = ANY($1::bigint[]) AND r.status NOT IN ('OPEN', 'APPLIED', 'ACCEPTED')`,
    [requestIds],
  );
}

/** Copies an open request with its enterprise's facts and score into `matchable_request`. */
export async function addMatchableRequest(manager: EntityManager, requestId: string): Promise<void> {
  // A rescoring in progress holds the enterprise's profile (credit-scoring.ts) and copies the new
  // score into the open requests it sees: this request is not among them until it commits. Waiting
  // for it here means the copy below reads the new score instead of keeping the old one.
  const [facts]: Array<{ enterprise_id: string; locked: boolean }> = await manager.query(
    `SELECT r.enterprise_id::text, EXISTS (SELECT 1 FROM credit_profile cp WHERE cp.enterprise_id = r.enterprise_id FOR SHARE) AS locked
     FROM financing_request r WHERE r.id = $1`,
    [requestId],
  );
  // No profile yet (an enterprise registered before scoring): score it now, which waits for a
  // rescoring in progress that is creating one and leaves the profile locked.
  if (facts && !facts.locked) await recomputeCreditProfiles(manager, [facts.enterprise_id]);
  await manager.query(
    `INSERT INTO matchable_request (financing_request_id, enterprise_id, amount, term_months, acceptable_guarantee_types, max_rate, valid_until,
       region_code, prefecture_code, province_code, industry_code, scale, credit_score, credit_grade, dishonest_debtor, established_on, annual_revenue)
     SELECT r.id, r.enterprise_id, r.amount, r.term_months, r.acceptable_guarantee_types::varchar[], r.max_rate, r.valid_until,
       e.region_code, left(e.region_code, 4), left(e.region_code, 2), e.industry_code, e.scale::text,
       coalesce(cp.score, 600), coalesce(cp.grade, 'BBB'), coalesce('DISHONEST_DEBTOR' = ANY(cp.flags), false), e.established_on, e.annual_revenue
     FROM financing_request r JOIN enterprise e ON e.id = r.enterprise_id LEFT JOIN credit_profile cp ON cp.enterprise_id = e.id
     WHERE r.id = $1
     ON CONFLICT (financing_request_id) DO NOTHING`,
    [requestId],
  );
}
