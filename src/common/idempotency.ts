import { createHash } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { Actor, actorKey } from './actor';
import { BusinessRuleError } from './errors';
import { TransactionContext, withTransaction } from './database/transaction';

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([key, v]) => v !== undefined && key !== 'idempotencyKey')
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export interface IdempotentOperation<R> {
  operation: string;
  key: string | null | undefined;
  input: unknown;
  /** The work, inside the transaction that also records the key: every statement on `context.manager`. */
  run: (context: TransactionContext) => Promise<R>;
  /** What to keep of the result (IDs), and how to rebuild it on a retry. */
  remember: (result: R) => unknown;
  replay: (remembered: any, manager: EntityManager) => Promise<R>;
}

/**
 * The mutation boundary of the lifecycle: runs `run` in a transaction (`withTransaction`: retried
 * on deadlocks and serialization failures, transient failures answered as retryable errors).
 * With a key, the first call records its result under (actor, key);
 * a retry with the same input replays it without effect, a retry with another input is refused.
 * A concurrent retry waits on the key's row until the first commits. A refused business rule
 * rolls the key back too, so a corrected retry may reuse it.
 */
export async function runIdempotent<R>(dataSource: DataSource, actor: Actor, op: IdempotentOperation<R>): Promise<R> {
  return withTransaction(dataSource, async (manager) => {
    const context: TransactionContext = { actor, manager };
    if (!op.key) return op.run(context);
    const actorName = actorKey(actor);
    const requestHash = createHash('sha256').update(`${op.operation}\n${canonicalJson(op.input)}`).digest('hex');
    const inserted: unknown[] = await manager.query(
      `INSERT INTO idempotency_key (actor, key, operation, request_hash, result) VALUES ($1, $2, $3, $4, 'null')
       ON CONFLICT (actor, key) DO NOTHING RETURNING key`,
      [actorName, op.key, op.operation, requestHash],
    );
    if (inserted.length === 0) {
      const [previous] = await manager.query(`SELECT request_hash, result FROM idempotency_key WHERE actor = $1 AND key = $2`, [actorName, op.key]);
      if (previous.request_hash !== requestHash) {
        throw new BusinessRuleError('IDEMPOTENCY_KEY_REUSED', 'This idempotency key was already used for a different request', ['input', 'idempotencyKey']);
      }
      return op.replay(previous.result, manager);
    }
    const result = await op.run(context);
    await manager.query(`UPDATE idempotency_key SET result = $3 WHERE actor = $1 AND key = $2`, [actorName, op.key, JSON.stringify(op.remember(result))]);
    return result;
  });
}
