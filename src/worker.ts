/**
 * The background work of a worker (ROLE=worker or all): the expiry and calendar sweeps, the matching
 * queue, statistics compaction, webhook deliveries and the retention job. Each coordinates through the
 * database (SKIP LOCKED, job rows, advisory locks), so several workers may run at once without
 * duplicating work; an api-role process runs none.
 */
import type { AppConfig, Role } from './common/config';
import { every } from './common/background';
import { processMetrics } from './common/http/metrics';
import type { Services } from './services';

/** Matching jobs taken per call while the queue drains (several batches, some in flight together). */
export const MATCHING_JOBS_PER_CHUNK = 1000;

/** Whether a process of this role answers GraphQL (a worker serves only the probes and /metrics). */
export const servesGraphql = (role: Role) => role !== 'worker';

/** Whether a process of this role runs the background loops. */
export const runsBackgroundWork = (role: Role) => role !== 'api';

export type WorkerIntervals = Pick<
  AppConfig,
  'expirySweepSeconds' | 'matchingWorkerIntervalMs' | 'statsCompactionIntervalMs' | 'retention'
>;

/** Starts the loops of `role` (none for `api`); stopBackgroundTasks() stops them. */
export function startBackgroundWork(services: Services, intervals: WorkerIntervals, role: Role): void {
  if (!runsBackgroundWork(role)) return;
  every(intervals.expirySweepSeconds * 1000, 'expiry sweep', async () => {
    try {
      processMetrics.applicationsExpired.inc(await services.lending.expireOverdueApplications(new Date()));
      processMetrics.expirySweeps.inc({ outcome: 'success' });
    } catch (error) {
      processMetrics.expirySweeps.inc({ outcome: 'failure' });
      throw error;
    }
  });
  every(intervals.expirySweepSeconds * 1000, 'calendar sweep', (run) => services.calendarSweep(run));
  // Match refreshes queued by product and score changes are worked here, never inside a mutation.
  // A run goes on while the queue still has work, so a burst (a day's rescoring, an import) drains at
  // the worker's pace rather than one chunk per interval; a stop ends it between batches.
  every(intervals.matchingWorkerIntervalMs, 'matching worker', async (run) => {
    const stopping = () => run.stopping;
    // A full chunk means more may be queued; a stop makes the call return short.
    let worked: number;
    do worked = await services.matching.workQueuedJobs(MATCHING_JOBS_PER_CHUNK, stopping);
    while (worked === MATCHING_JOBS_PER_CHUNK);
  });
  // Statistics deltas written by the triggers are folded into the rollup (every second by default).
  every(intervals.statsCompactionIntervalMs, 'statistics compaction', () => services.analytics.compact());
  // Webhooks: new outbox events become deliveries, and the deliveries due are sent (retries included).
  every(1000, 'webhook deliveries', async () => {
    await services.webhooks.dispatch();
    await services.webhooks.deliverDue();
  });
  // Rows past their retention period (outbox, webhook deliveries, idempotency keys, …) go in small batches.
  every(intervals.retention.intervalSeconds * 1000, 'retention', () => services.retention.run(intervals.retention));
}
