import { EntityManager } from 'typeorm';
import { BusinessRuleError, NotFoundError } from '../common/errors';
import { EnterpriseVerificationStatus } from '../enterprise/enterprise.entity';
import { FinancingRequest } from '../financing/financing-request.entity';
import { Application } from './application.entity';

/**
 * THE LOCK ORDER of the loan aggregates. Every transaction that locks or writes more than one of
 * them takes them in this order, so no two transactions ever wait for each other in a cycle
 * (PostgreSQL would abort one with "deadlock detected"):
 *
 *   1. financing_request — several at once in id order (the expiry sweep)
 *   2. application       — several of one request in id order (withdrawing a request)
 *   2a. the borrower's enterprise row, FOR SHARE, by the steps that commit the bank (assertBorrowerVerified)
 *   3. credit_grant
 *   4. disbursement
 *   5. the enterprise's credit_profile (posting reads it; imports and rescoring lock it), then the
 *      matching tables (matchable_request, product_match, matching_job) and the statistics (the
 *      rollup triggers' advisory locks and deltas)
 *
 * A step on an application always changes its request too (the request's status follows its
 * applications), so every step locks the request first, then the application: `lockForApplication`.
 * Posting a request inserts it first; applying and claiming lock the request before inserting the
 * application; match refreshes lock the requests they touch in id order before writing matches.
 */
export async function lockForApplication(
  manager: EntityManager,
  applicationId: string,
): Promise<{ request: FinancingRequest; application: Application }> {
  // One statement: PostgreSQL locks the rows of a joined row in the order of FOR UPDATE OF, so the
  // request before the application (and re-reads both if either changed while it waited).
  const application = await manager
    .getRepository(Application)
    .createQueryBuilder('application')
    .innerJoinAndSelect('application.financingRequest', 'request')
    .setLock('pessimistic_write', undefined, ['request', 'application'])
    .where('application.id = :applicationId', { applicationId })
    .getOne();
  if (!application) throw new NotFoundError('Application');
  const request = application.financingRequest!;
  delete application.financingRequest;
  return { request, application };
}

/** Step 1 alone: a request about to change (withdrawn, or given a new application). */
export function lockFinancingRequest(manager: EntityManager, id: string): Promise<FinancingRequest | null> {
  return manager
    .getRepository(FinancingRequest)
    .createQueryBuilder('request')
    .setLock('pessimistic_write')
    .where('request.id = :id', { id })
    .getOne();
}

/**
 * Step 2a: starting an application (applying or claiming), accepting, granting, approving a grant and
 * disbursing commit the bank to a borrower, so the borrower's claim on its USCC must still be verified
 * (实名认证) when they commit. Its row is held FOR SHARE: a revocation or reassignment (which locks
 * enterprise rows first, then only credit and matching rows, never a loan aggregate) waits for such a
 * step in flight, and every step after it sees the claim gone — also where the withdrawal of the revoked
 * registration's needs, which runs after the revocation commits, has not run, failed, or left a need
 * alone because credit was granted on it.
 */
export async function assertBorrowerVerified(manager: EntityManager, enterpriseId: string): Promise<void> {
  if ((await borrowerStatus(manager, enterpriseId)) === EnterpriseVerificationStatus.VERIFIED) return;
  throw new BusinessRuleError(
    'BORROWER_NOT_VERIFIED',
    "The borrower's identity (实名认证) is no longer verified: the platform operator revoked or moved its " +
      'registration, so nothing more is accepted, granted or disbursed on its applications',
  );
}

/** The borrower's claim status, its row held FOR SHARE until the transaction ends (step 2a). */
export async function borrowerStatus(
  manager: EntityManager,
  enterpriseId: string,
): Promise<EnterpriseVerificationStatus | undefined> {
  const [borrower]: Array<{ status: EnterpriseVerificationStatus }> = await manager.query(
    `SELECT verification_status AS status FROM enterprise WHERE id = $1 FOR SHARE`,
    [enterpriseId],
  );
  return borrower?.status;
}
