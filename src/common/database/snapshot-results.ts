/**
 * Results of read-only statements kept with the database snapshot they were read in.
 *
 * Two equal snapshots (pg_current_snapshot(): xmin, xmax and the transactions in progress) see
 * exactly the same committed rows, so a kept result is still exact while the database's current
 * snapshot is the one it was read in: no transaction that wrote anything has ended since.
 * Every answer costs one statement; it computes the result only when the snapshot moved. A
 * dashboard polling platform totals between writes gets them without the aggregation, and a
 * write shows in the very next read as before.
 *
 * Only for results that depend on nothing but the rows and the statement's parameters (no now(),
 * no current_date, no session settings): the key must hold every parameter.
 */
export class SnapshotResults<T> {
  private readonly kept = new Map<string, { snapshot: string; result: T }>();
  /** Answers served from a kept result, for tests and benchmarks. */
  hits = 0;

  constructor(private readonly capacity: number) {}

  /**
   * The answer for `key`: `resultExpression` (a scalar subquery over `parameters`, typically
   * row_to_json or json_agg) turned into `T` by `toResult`, or the result kept for `key` when the
   * snapshot has not moved since. `run` executes the statement. PostgreSQL evaluates the
   * expression's subqueries (initplans) only when the CASE reaches them.
   */
  async read<R>(
    key: string,
    resultExpression: string,
    parameters: unknown[],
    run: (text: string, values: unknown[]) => Promise<Array<{ snapshot: string; result: R | null }>>,
    toResult: (read: R) => T,
  ): Promise<T> {
    const sent = this.kept.get(key);
    const snapshotParameter = `$${parameters.length + 1}::text`;
    const [row] = await run(
      `SELECT pg_current_snapshot()::text AS snapshot,
        CASE WHEN pg_current_snapshot()::text = ${snapshotParameter} THEN NULL ELSE (${resultExpression}) END AS
          result`,
      [...parameters, sent?.snapshot ?? null],
    );
    if (row.result === null) {
      // NULL only when the snapshot equals the one sent (a NULL parameter never matches).
      if (!sent || sent.snapshot !== row.snapshot)
        throw new Error('The statement returned no result for a snapshot with nothing kept');
      this.hits++;
      return sent.result;
    }
    // Kept and shared by every later request: frozen.
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
