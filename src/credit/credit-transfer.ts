import { EntityManager } from 'typeorm';
import { recomputeCreditProfiles } from './credit-scoring';

/**
 * Moves an enterprise's credit records to another registration of the same USCC (an operator
 * corrected which claim is verified) and rescores both, in the caller's transaction.
 */
export async function transferCreditRecords(
  manager: EntityManager,
  fromEnterpriseId: string,
  toEnterpriseId: string,
): Promise<void> {
  await manager.query(`UPDATE credit_record SET enterprise_id = $2 WHERE enterprise_id = $1`, [
    fromEnterpriseId,
    toEnterpriseId,
  ]);
  await recomputeCreditProfiles(manager, [fromEnterpriseId, toEnterpriseId]);
}

/**
 * Taken by a transaction about to move credit records between registrations, before it locks
 * anything else: it waits for imports in flight (which hold ROW EXCLUSIVE on credit_record) and makes
 * new ones wait until it commits, so no import files a record under a registration as it loses its
 * verification.
 */
export async function transferLock(manager: EntityManager): Promise<void> {
  await manager.query(`LOCK TABLE credit_record IN SHARE ROW EXCLUSIVE MODE`);
}
