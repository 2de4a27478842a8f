/**
 * Background tasks of the server process (expiry sweep, matching worker, statistics compaction):
 * each runs every so often, never two at once, and a failure streak is logged once, not each run.
 */
import { logError, processLogger } from './http/logging';
import { processMetrics } from './http/metrics';

interface BackgroundTask {
  label: string;
  timer: NodeJS.Timeout;
  running: Promise<unknown> | null;
  stopping: boolean;
}

const tasks = new Set<BackgroundTask>();

/** What a run of a task may ask: whether the process is stopping (a long run ends between steps). */
export interface TaskRun {
  readonly stopping: boolean;
}

/** Runs `task` every `ms`, never two at once; failures are logged once per streak, never fatal. */
export function every(ms: number, label: string, task: (run: TaskRun) => Promise<unknown>): NodeJS.Timeout {
  let failures = 0;
  const entry: BackgroundTask = {
    label,
    timer: undefined as unknown as NodeJS.Timeout,
    running: null,
    stopping: false,
  };
  entry.timer = setInterval(() => {
    if (entry.running) return;
    entry.running = task(entry)
      .then(() => {
        processMetrics.backgroundTaskRuns.inc({ task: label, outcome: 'success' });
        if (failures > 0) processLogger().info({ task: label, failures }, `${label} works again`);
        failures = 0;
      })
      .catch((error) => {
        processMetrics.backgroundTaskRuns.inc({ task: label, outcome: 'failure' });
        if (failures++ === 0)
          logError(processLogger(), error, `${label} failed (logged once until it works again)`, { task: label });
      })
      .finally(() => (entry.running = null));
  }, ms);
  entry.timer.unref();
  tasks.add(entry);
  processMetrics.backgroundTasks.inc({ task: label });
  return entry.timer;
}

/** Stops every background task and waits for the runs in progress (before the pool closes). */
export async function stopBackgroundTasks(): Promise<void> {
  const stopping = [...tasks];
  tasks.clear();
  for (const task of stopping) {
    task.stopping = true;
    clearInterval(task.timer);
    processMetrics.backgroundTasks.dec({ task: task.label });
  }
  await Promise.all(stopping.map((task) => task.running));
}

/** The labels of the background tasks running in this process (what an api-role process has none of). */
export function runningBackgroundTasks(): string[] {
  return [...tasks].map((task) => task.label);
}
