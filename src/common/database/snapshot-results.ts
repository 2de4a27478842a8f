/**
 * Results of read-only statements kept with the database snapshot they were read in.
 *
 * Two equal snapshots (pg_current_snapshot(): xmin, xmax and the transactions in progress) see
 * exactly the same committed rows, so a kept result is still exact while the database's current
 * snapshot is the one it was read in: no transaction that wrote anything has ended since.
 * Every answer therefore costs one statement; it returns the whole result only when the snapshot
 * moved (`resultWhenChanged`). A dashboard polling platform totals between writes gets them
 * without the aggregation, and a write shows in the very next read as before.
 *
 * Only for results that depend on nothing but the rows and the statement's parameters (no now(),
 * no current_date, no session settings): the key must hold every parameter.
 */
export class SnapshotResults<T> {
  private readonly kept = new Map<string, KeptResult<T>>();
  /** Answers served from a kept result, for tests and benchmarks. */
  hits = 0;

  constructor(private readonly capacity: number) {}

  /**
   * The SQL of a statement returning `snapshot` (text) and `result`: `resultExpression` (a scalar
   * subquery, typically row_to_json or json_agg), or NULL without evaluating it when the current
   * snapshot equals parameter `$snapshotParameter`. PostgreSQL evaluates the subqueries of the
   * expression (initplans) only when the CASE reaches them.
   */
  static statement(resultExpression: string, snapshotParameter: number): string {
    return `SELECT pg_current_snapshot()::text AS snapshot,
      CASE WHEN pg_current_snapshot()::text = $${snapshotParameter}::text THEN NULL ELSE (${resultExpression}) END AS result`;
  }

  /** What is kept for `key`: send its snapshot as the statement's parameter (null when nothing is). */
  lookup(key: string): KeptResult<T> | undefined {
    return this.kept.get(key);
  }

  /**
   * The answer from the statement's row: `sent`'s result when the snapshot has not moved, else
   * `toResult` of the row's (kept, frozen: every later request shares it).
   */
  settle<R>(key: string, sent: KeptResult<T> | undefined, row: { snapshot: string; result: R | null }, toResult: (read: R) => T): T {
    if (row.result === null) {
      // NULL only when the snapshot equals the one sent (a NULL parameter never matches).
      if (!sent || sent.snapshot !== row.snapshot) throw new Error('The statement returned no result for a snapshot with nothing kept');
      this.hits++;
      return sent.result;
    }
    const result = deepFreeze(toResult(row.result));
    this.kept.delete(key);
    this.kept.set(key, { snapshot: row.snapshot, result });
    // Oldest first in a Map: drop the least recently stored beyond the capacity.
    if (this.kept.size > this.capacity) this.kept.delete(this.kept.keys().next().value!);
    return result;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

export interface KeptResult<T> {
  snapshot: string;
  result: T;
}
