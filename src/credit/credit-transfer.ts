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
