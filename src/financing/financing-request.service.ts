import { DataSource, EntityManager } from 'typeorm';
import { Actor, actorKey, assertVerifiedEnterprise, systemActor } from '../common/actor';
import { BusinessRuleError, ForbiddenError } from '../common/errors';
import { money } from '../common/decimal';
import { Connection, PageRequest } from '../common/pagination';
import { ALL_ROWS, bothFilters, entityReader, NO_ROWS } from '../common/database/entity-reader';
import { ChildFilter } from '../common/loaders';
import { runIdempotent } from '../common/idempotency';
import { withTransaction } from '../common/database/transaction';
import { chinaToday, Clock, systemClock } from '../common/clock';
import { GuaranteeType } from '../product/loan-product.entity';
import { FinancingRequest, FinancingRequestStatus } from './financing-request.entity';
import { derivedStatusSql, followAllowedSql, requestStepFrom } from './financing-request.lifecycle';
import { sqlList } from '../common/database/sql-list';
import { MatchingService } from '../matching/matching.service';
import { requestPosted, requestsClosed } from '../matching/changes';
import { holdCreditProfile } from '../credit/credit-scoring';
import { emit } from '../notifications/outbox';

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
    private readonly clock: Clock = systemClock,
  ) {}

  private get reader() {
    return entityReader(this.dataSource, FinancingRequest);
  }

  /** 发布融资需求 — an enterprise posts a need for itself. */
  postFinancingRequest(actor: Actor, input: PostFinancingRequestInput): Promise<FinancingRequest> {
    if (actor.kind !== 'ENTERPRISE') throw new ForbiddenError('Only an enterprise posts financing requests');
    assertVerifiedEnterprise(actor);
    if (money.units(input.amount) <= 0n)
      throw new BusinessRuleError('INVALID_AMOUNT', 'amount must be above zero', ['input', 'amount']);
    if (input.validUntil < chinaToday(this.clock)) {
      throw new BusinessRuleError('VALID_UNTIL_PAST', 'validUntil must not be in the past', ['input', 'validUntil']);
    }
    const { idempotencyKey, ...fields } = input;
    return runIdempotent(this.dataSource, actor, {
      operation: 'postFinancingRequest',
      key: idempotencyKey,
      input: fields,
      run: async ({ manager }) => {
        const request = await manager.getRepository(FinancingRequest).save(
          manager.getRepository(FinancingRequest).create({
            ...fields,
            acceptableGuaranteeTypes: [...new Set(fields.acceptableGuaranteeTypes)],
            enterpriseId: actor.enterpriseId,
            status: FinancingRequestStatus.OPEN,
          }),
        );
        await holdCreditProfile(manager, actor.enterpriseId, chinaToday(this.clock));
        await requestPosted(manager, request.id);
        await emit(manager, {
          type: 'REQUEST_POSTED',
          enterpriseId: actor.enterpriseId,
          platform: true,
          payload: { financingRequestId: ['FinancingRequest', request.id] },
        });
        // Posting matches synchronously: the enterprise sees its products in the answer.
        await this.matching.refreshRequestMatches(manager, [request.id]);
        return manager.getRepository(FinancingRequest).findOneByOrFail({ id: request.id });
      },
      answer: FinancingRequest,
    });
  }

  /** Which needs the actor sees: financingRequestVisibility. */
  visibility(actor: Actor): ChildFilter {
    return financingRequestVisibility(actor);
  }

  /** IDs of the enterprise's needs that can still be withdrawn (no credit granted yet, expired ones too). */
  async withdrawableRequestIdsOf(enterpriseId: string): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `SELECT id::text AS id FROM financing_request
       WHERE enterprise_id = $1 AND status IN ${sqlList(requestStepFrom('WITHDRAW'))} ORDER BY id`,
      [enterpriseId],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Needs that can still be withdrawn of registrations that lost their verification: what the
   * withdrawal run after a revocation commits left (the process stopped, or a need was busy). At most `limit`.
   */
  async withdrawableRequestIdsOfRevoked(limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `SELECT r.id::text AS id FROM enterprise e JOIN financing_request r ON r.enterprise_id = e.id
       WHERE e.verification_status = 'REVOKED' AND r.status IN ${sqlList(requestStepFrom('WITHDRAW'))}
       ORDER BY r.id LIMIT $1`,
      [limit],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Every open need past its validUntil on `today` (China date) becomes EXPIRED with an audit event
   * (one statement), then leaves the pool that reverse matching reads (matching's table, through
   * requestsClosed). Needs locked by a transaction in progress (an application, a withdrawal, another
   * sweep) are skipped and caught by the next run, so two processes may sweep at once. Returns how
   * many needs expired.
   */
  async expireLapsedRequests(today = chinaToday(this.clock)): Promise<number> {
    return withTransaction(this.dataSource, async (manager) => {
      const expired: Array<{ id: string }> = await manager.query(EXPIRE_LAPSED_REQUESTS_SQL, [
        today,
        actorKey(systemActor),
      ]);
      await requestsClosed(
        manager,
        expired.map((row) => row.id),
      );
      return expired.length;
    });
  }

  list(actor: Actor, page: PageRequest, status?: FinancingRequestStatus | null): Promise<Connection<FinancingRequest>> {
    if (actor.kind === 'ANONYMOUS' || actor.kind === 'ANALYST')
      throw new ForbiddenError('Financing requests are not available to this account');
    const visible = this.visibility(actor);
    return this.reader.page(
      'self',
      status ? bothFilters(visible, { where: 'self.status = :status', params: { status } }) : visible,
      page,
    );
  }
}

// Locks in the documented order: financing_request here, then matching (matchable_request) after. The
// statuses it expires from are the lifecycle's (the open ones, which the partial index on valid_until holds).
const EXPIRE_LAPSED_REQUESTS_SQL = `
  WITH due AS (
    SELECT id, status FROM financing_request
    WHERE status IN ${sqlList(requestStepFrom('EXPIRE'))} AND valid_until < $1::date
    ORDER BY id FOR UPDATE SKIP LOCKED
  ), expired AS (
    UPDATE financing_request r SET status = '${FinancingRequestStatus.EXPIRED}', updated_at = now()
    FROM due WHERE r.id = due.id
    RETURNING r.id, due.status AS from_status
  ), audited AS (
    INSERT INTO financing_request_event (financing_request_id, actor, from_status, to_status, reason)
    SELECT id, $2, from_status, '${FinancingRequestStatus.EXPIRED}', 'validUntil passed (' || $1 || ' in China)'
    FROM expired
  )
  SELECT id::text FROM expired`;

/**
 * A request's status follows its most advanced application, unless the enterprise withdrew it
 * (deriveRequestStatus in financing-request.lifecycle.ts, as SQL). Set-based: recomputes every request
 * given, in the caller's transaction; a move the lifecycle forbids is left undone.
 */
export async function refreshFinancingRequestStatus(manager: EntityManager, requestIds: string[]): Promise<void> {
  if (requestIds.length === 0) return;
  await manager.query(
    `UPDATE financing_request r SET status = s.status, updated_at = now()
     FROM (
       SELECT r2.id, ${derivedStatusSql('r2.status', 'a.status')} AS status
       FROM financing_request r2
       LEFT JOIN application a ON a.financing_request_id = r2.id
       WHERE r2.id = ANY($1::bigint[])
       GROUP BY r2.id
     ) s
     -- Rechecked on the row as locked: a sweep that expired it after s was read must not be undone.
     WHERE r.id = s.id AND ${followAllowedSql('r.status', 's.status')}`,
    [requestIds],
  );
  await requestsClosed(manager, requestIds);
}

/**
 * Operators see all; an enterprise its own; an institution the needs that match one of its
 * products (to claim, 抢单) and those that reached it. SQL over the table aliased `self`; the
 * one definition used by lists, `node(id:)`, an enterprise's `financingRequests` and every
 * mutation that takes a need's ID.
 */
export function financingRequestVisibility(actor: Actor): ChildFilter {
  switch (actor.kind) {
    case 'OPERATOR':
    case 'SYSTEM':
      return { key: 'all', ...ALL_ROWS };
    case 'ENTERPRISE':
      return {
        key: `enterprise:${actor.enterpriseId}`,
        where: 'self.enterprise_id = :enterpriseId',
        params: { enterpriseId: actor.enterpriseId },
      };
    case 'INSTITUTION':
      return {
        key: `institution:${actor.institutionId}`,
        where: `(EXISTS (SELECT 1 FROM application a
                 WHERE a.financing_request_id = self.id AND a.institution_id = :institutionId)
          OR EXISTS (SELECT 1 FROM product_match m JOIN loan_product p ON p.id = m.loan_product_id
                     WHERE m.financing_request_id = self.id AND p.institution_id = :institutionId))`,
        params: { institutionId: actor.institutionId },
      };
    default:
      return { key: 'none', ...NO_ROWS };
  }
}
