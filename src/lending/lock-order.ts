import { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { NotFoundError } from '../common/errors';
import { FinancingRequest } from '../financing/financing-request.entity';
import { Application } from './application.entity';

/**
 * THE LOCK ORDER of the loan aggregates. Every transaction that locks or writes more than one of
 * them takes them in this order, so no two transactions ever wait for each other in a cycle
 * (PostgreSQL would abort one with "deadlock detected"):
 *
 *   1. financing_request — several at once in id order (the expiry sweep)
 *   2. application       — several of one request in id order (withdrawing a request)
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
  // The application's request never changes, so it can be found before either row is locked.
  const ofApplication = 'self.id = (SELECT a.financing_request_id FROM application a WHERE a.id = :id)';
  const request = await lockOne(manager, FinancingRequest, ofApplication, applicationId);
  const application = request && (await lockOne(manager, Application, 'self.id = :id', applicationId));
  if (!request || !application) throw new NotFoundError('Application');
  return { request, application };
}

/** Step 1 alone: a request about to change (withdrawn, or given a new application). */
export function lockFinancingRequest(manager: EntityManager, id: string): Promise<FinancingRequest | null> {
  return lockOne(manager, FinancingRequest, 'self.id = :id', id);
}

function lockOne<T extends ObjectLiteral>(
  manager: EntityManager,
  entity: EntityTarget<T>,
  where: string,
  id: string,
): Promise<T | null> {
  return manager
    .getRepository(entity)
    .createQueryBuilder('self')
    .setLock('pessimistic_write')
    .where(where, { id })
    .getOne();
}
