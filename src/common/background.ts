/**
 * Background tasks of the server process (expiry sweep, matching worker, statistics compaction):
 * each runs every so often, never two at once, and a failure streak is logged once, not each run.
 */
import { logError, processLogger } from './http/logging';

interface BackgroundTask {
  timer: NodeJS.Timeout;
  running: Promise<unknown> | null;
}

const tasks = new Set<BackgroundTask>();

/** Runs `task` every `ms`, never two at once; failures are logged once per streak, never fatal. */
export function every(ms: number, label: string, task: () => Promise<unknown>): NodeJS.Timeout {
  let failures = 0;
  const entry: BackgroundTask = { timer: undefined as unknown as NodeJS.Timeout, running: null };
  entry.timer = setInterval(() => {
    if (entry.running) return;
    entry.running = task()
      .then(() => {
        if (failures > 0) processLogger().info({ task: label, failures }, `${label} works again`);
        failures = 0;
      })
      .catch((error) => {
        if (failures++ === 0)
          logError(processLogger(), error, `${label} failed (logged once until it works again)`, { task: label });
      })
      .finally(() => (entry.running = null));
  }, ms);
  entry.timer.unref();
  tasks.add(entry);
  return entry.timer;
}

/** Stops every background task and waits for the runs in progress (before the pool closes). */
export async function stopBackgroundTasks(): Promise<void> {
  const stopping = [...tasks];
  tasks.clear();
  for (const task of stopping) clearInterval(task.timer);
  await Promise.all(stopping.map((task) => task.running));
}
