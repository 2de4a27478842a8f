/**
 * The retention job (docs/adr/0109): the log-like tables lose the rows that nothing needs any more once
 * their retention period has passed. Each module names its own table's rule (a `RetentionTarget`);
 * this runs them in a worker's background loop. Rows go in bounded batches, each one statement in a
 * transaction of its own that first takes the job's advisory lock (as statistics compaction does):
 * a batch never holds locks for long, and a process finding the lock taken ends its run, since
 * another is doing the work.
 */
import type { DataSource } from 'typeorm';
import type { RetainedTable, RetentionSettings } from './config';
import { processLogger } from './http/logging';
import { processMetrics } from './http/metrics';
import { withTransaction } from './database/transaction';

export interface RetentionTarget {
  table: RetainedTable;
  /** The columns that identify a row. */
  key: string[];
  /** When the row stopped being needed, as an SQL expression over its columns; an index leads with it. */
  since: string;
  /** Rows still needed, however old, fail this condition (the partial index's predicate, where there is one). */
  done?: string;
}

/** Beside statistics compaction's lock (4242): one retention batch at a time across processes. */
const RETENTION_LOCK = 4243;

/**
 * One batch: at most $2 rows past $1 days, oldest first, skipping rows another transaction holds; answers
 * how many went.
 */
export function retentionBatchSql(target: RetentionTarget): string {
  const keys = target.key.join(', ');
  const match = target.key.map((column) => `doomed.${column} = old.${column}`).join(' AND ');
  return `WITH old AS (
      SELECT ${keys} FROM ${target.table}
      WHERE ${target.since} < now() - make_interval(days => $1)${target.done ? ` AND ${target.done}` : ''}
      ORDER BY ${target.since} LIMIT $2 FOR UPDATE SKIP LOCKED
    ), gone AS (DELETE FROM ${target.table} doomed USING old WHERE ${match} RETURNING 1)
    SELECT count(*)::int AS deleted FROM gone`;
}

/** What one run deleted, by table; `null` when another process held the job. */
export type RetentionRun = Partial<Record<RetainedTable, number>> | null;

export class RetentionJob {
  constructor(
    private readonly dataSource: DataSource,
    private readonly targets: readonly RetentionTarget[],
  ) {}

  /** Deletes what is past its period in every table, batch by batch; logs one line with the counts. */
  async run(settings: Pick<RetentionSettings, 'batchRows' | 'days'>): Promise<RetentionRun> {
    const started = Date.now();
    const deleted: Partial<Record<RetainedTable, number>> = {};
    for (const target of this.targets) {
      const sql = retentionBatchSql(target);
      let total = 0;
      for (;;) {
        const batch = await this.batch(sql, settings.days[target.table], settings.batchRows);
        if (batch === null) return null;
        total += batch;
        if (batch > 0) processMetrics.retentionDeletedRows.inc({ table: target.table }, batch);
        if (batch < settings.batchRows) break;
      }
      deleted[target.table] = total;
    }
    const rows = Object.values(deleted).reduce((sum, count) => sum + count, 0);
    processLogger().info(
      { task: 'retention', deleted, durationMs: Date.now() - started },
      `retention deleted ${rows} rows past their retention period`,
    );
    return deleted;
  }

  /** Rows deleted by one batch, or null when another process holds the lock. */
  private batch(sql: string, days: number, limit: number): Promise<number | null> {
    return withTransaction(this.dataSource, async (manager) => {
      const [{ locked }] = await manager.query(`SELECT pg_try_advisory_xact_lock($1) AS locked`, [RETENTION_LOCK]);
      if (!locked) return null;
      const [{ deleted }]: Array<{ deleted: number }> = await manager.query(sql, [days, limit]);
      return deleted;
    });
  }
}
