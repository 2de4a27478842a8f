import { createHash } from 'node:crypto';
import { DataSource, EntityManager, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';
import { Actor, actorKey } from './actor';
import { BusinessRuleError } from './errors';
import type { RetentionTarget } from './retention';
import { TransactionContext, withTransaction } from './database/transaction';

/**
 * Keys go IDEMPOTENCY_KEY_RETENTION_DAYS after their first call: a retry after that is a new call. The
 * minimum of a day is what the API promises (README "API conventions").
 */
export const IDEMPOTENCY_KEY_RETENTION: RetentionTarget = {
  table: 'idempotency_key',
  key: ['actor', 'key'],
  since: 'created_at',
};

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

export interface IdempotentOperation<R extends ObjectLiteral & { id: string }> {
  operation: string;
  key: string | null | undefined;
  input: unknown;
  /** The work, inside the transaction that also records the key: every statement on `context.manager`. */
  run: (context: TransactionContext) => Promise<R>;
  /** The entity the answer is a row of: with a key, that row as committed is kept and is the answer to every retry. */
  answer: EntityTarget<R>;
}

/** What the key keeps: the answer's ID, and its row as the first call answered it (docs/adr/0100). */
interface KeptAnswer {
  id: string;
  /** Column values by property; absent for keys kept before answers were (then the row is read as it is now). */
  row?: Record<string, unknown>;
}

/** The entity's own columns (a relation's join column without a property of its own is not one). */
const stored = (metadata: EntityMetadata) => metadata.columns.filter((column) => !column.isVirtual);

const TIMESTAMP_TYPES = new Set<unknown>(['timestamptz', 'timestamp', 'timestamp with time zone', Date]);

function keep(metadata: EntityMetadata, entity: ObjectLiteral): KeptAnswer {
  const row: Record<string, unknown> = {};
  for (const column of stored(metadata)) row[column.propertyName] = column.getEntityValue(entity) ?? null;
  return { id: String(entity.id), row };
}

/** The kept row as the entity it was (JSON turned its instants into text; every other column type round-trips). */
function revive<R extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<R>,
  row: Record<string, unknown>,
): R {
  const repository = manager.getRepository(target);
  const entity = repository.create();
  for (const column of stored(repository.metadata)) {
    const value = row[column.propertyName] ?? null;
    const instant = value !== null && TIMESTAMP_TYPES.has(column.type);
    column.setEntityValue(entity, instant ? new Date(value as string) : value);
  }
  return entity;
}

/**
 * The mutation boundary of the lifecycle: runs `run` in a transaction (`withTransaction`: retried
 * on deadlocks and serialization failures, transient failures answered as retryable errors).
 * With a key, the first call keeps its answer — the result's row as committed — under (actor, key), in
 * its own transaction; a retry with the same input gets that answer without effect (as Stripe replays a
 * response), even once the object has moved on; a retry with another input is refused. Only the same
 * actor (party and account, `actorKey`) reaches a kept answer.
 * A concurrent retry waits on the key's row until the first commits. A refused business rule
 * rolls the key back too, so a corrected retry may reuse it.
 */
export async function runIdempotent<R extends ObjectLiteral & { id: string }>(
  dataSource: DataSource,
  actor: Actor,
  op: IdempotentOperation<R>,
): Promise<R> {
  return withTransaction(dataSource, async (manager) => {
    const context: TransactionContext = { actor, manager };
    if (!op.key) return op.run(context);
    const actorName = actorKey(actor);
    const requestHash = createHash('sha256')
      .update(`${op.operation}\n${canonicalJson(op.input)}`)
      .digest('hex');
    const inserted: unknown[] = await manager.query(
      `INSERT INTO idempotency_key (actor, key, operation, request_hash, result) VALUES ($1, $2, $3, $4, 'null')
       ON CONFLICT (actor, key) DO NOTHING RETURNING key`,
      [actorName, op.key, op.operation, requestHash],
    );
    if (inserted.length === 0) {
      const [previous] = await manager.query(
        `SELECT request_hash, result FROM idempotency_key WHERE actor = $1 AND key = $2`,
        [actorName, op.key],
      );
      if (previous.request_hash !== requestHash) {
        throw new BusinessRuleError(
          'IDEMPOTENCY_KEY_REUSED',
          'This idempotency key was already used for a different request',
          ['input', 'idempotencyKey'],
        );
      }
      const kept = previous.result as KeptAnswer;
      if (kept.row) return revive(manager, op.answer, kept.row);
      return manager.getRepository(op.answer).findOneByOrFail({ id: kept.id } as never);
    }
    const result = await op.run(context);
    // The answer is the row as this transaction leaves it, read back: the first call and every retry get the same.
    const repository = manager.getRepository(op.answer);
    const answer = await repository.findOneByOrFail({ id: result.id } as never);
    const kept = JSON.stringify(keep(repository.metadata, answer));
    await manager.query(`UPDATE idempotency_key SET result = $3 WHERE actor = $1 AND key = $2`, [
      actorName,
      op.key,
      kept,
    ]);
    return answer;
  });
}
