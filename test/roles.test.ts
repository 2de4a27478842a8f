import { runningBackgroundTasks, stopBackgroundTasks } from '../src/common/background';
import { loadConfig } from '../src/common/config';
import { MATCHING_JOBS_PER_CHUNK, startBackgroundWork } from '../src/worker';
import { startTestApp, TestApp } from './support/app';

const FAST = {
  expirySweepSeconds: 1,
  matchingWorkerIntervalMs: 50,
  statsCompactionIntervalMs: 50,
  retention: loadConfig({}).retention,
};

async function metricsOf(app: TestApp): Promise<string> {
  const response = await fetch(app.url.replace(/\/graphql$/, '/metrics'));
  expect(response.status).toBe(200);
  return response.text();
}

const runs = (metrics: string, task: string) =>
  Number(new RegExp(`background_task_runs_total\\{task="${task}",outcome="success"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);

describe('process roles (ROLE=api|worker|all)', () => {
  afterEach(() => stopBackgroundTasks());

  it('ROLE is validated and defaults to all', () => {
    expect(loadConfig({}).role).toBe('all');
    expect(loadConfig({ ROLE: ' Worker ' }).role).toBe('worker');
    expect(() => loadConfig({ ROLE: 'scheduler' })).toThrow(/ROLE must be api, worker or all \(got "scheduler"\)/);
  });

  it('a worker answers the probes and /metrics, not GraphQL, and runs the sweeps and the queue', async () => {
    const worker = await startTestApp({ server: { graphql: false } });
    try {
      const before = await metricsOf(worker);
      startBackgroundWork(worker.server.services, FAST, 'worker');
      expect(runningBackgroundTasks().sort()).toEqual([
        'calendar sweep',
        'expiry sweep',
        'matching worker',
        'retention',
        'statistics compaction',
        'webhook deliveries',
      ]);
      const graphql = await worker.gql('{ __typename }');
      expect(graphql.status).toBe(404);
      expect(graphql.errors?.[0].extensions?.code).toBe('NOT_FOUND');
      expect((await fetch(worker.url.replace(/\/graphql$/, '/readyz'))).status).toBe(200);
      expect((await fetch(worker.url.replace(/\/graphql$/, '/livez'))).status).toBe(200);
      const deadline = Date.now() + 10_000;
      let after = before;
      while (runs(after, 'expiry sweep') <= runs(before, 'expiry sweep') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        after = await metricsOf(worker);
      }
      expect(runs(after, 'expiry sweep')).toBeGreaterThan(runs(before, 'expiry sweep'));
      expect(runs(after, 'matching worker')).toBeGreaterThan(runs(before, 'matching worker'));
      expect(after).toMatch(/background_tasks\{task="expiry sweep"\} 1/);
    } finally {
      await stopBackgroundTasks();
      await worker.close();
    }
  });

  it('a worker drains a queue longer than one chunk in one run, and a stop ends the run', async () => {
    const worker = await startTestApp({ server: { graphql: false } });
    try {
      // Score changes of enterprises without open needs: each job is taken and finished, nothing to rank.
      const queued = MATCHING_JOBS_PER_CHUNK * 2 + 150;
      await worker.dataSource.query(
        `INSERT INTO matching_job (kind, subject_id)
          SELECT 'SCORE_CHANGED', 900000000 + n FROM generate_series(1, $1) n`,
        [queued],
      );
      const pending = async () =>
        (await worker.dataSource.query(`SELECT count(*)::int AS n FROM matching_job WHERE finished_at IS NULL`))[0]
          .n as number;
      const before = await metricsOf(worker);
      startBackgroundWork(worker.server.services, { ...FAST, matchingWorkerIntervalMs: 300 }, 'worker');
      const deadline = Date.now() + 30_000;
      while ((await pending()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await pending()).toBe(0);
      // One chunk per interval would have needed three runs to finish; a run that goes on needs one (a
      // second may have started and found nothing).
      const after = await metricsOf(worker);
      expect(runs(after, 'matching worker') - runs(before, 'matching worker')).toBeLessThanOrEqual(2);
      // A stop asked in the middle of a long run ends it at the next batch.
      await worker.dataSource.query(
        `INSERT INTO matching_job (kind, subject_id)
          SELECT 'SCORE_CHANGED', 910000000 + n FROM generate_series(1, $1) n`,
        [MATCHING_JOBS_PER_CHUNK * 20],
      );
      while ((await pending()) === MATCHING_JOBS_PER_CHUNK * 20 && Date.now() < deadline + 30_000)
        await new Promise((resolve) => setTimeout(resolve, 20));
      await stopBackgroundTasks();
      expect(await pending()).toBeGreaterThan(0);
    } finally {
      await stopBackgroundTasks();
      await worker.close();
    }
  }, 90_000);

  it('an api process serves GraphQL and starts no background loop', async () => {
    const api = await startTestApp();
    try {
      startBackgroundWork(api.server.services, FAST, 'api');
      expect(runningBackgroundTasks()).toEqual([]);
      expect((await api.gql('{ __typename }')).data).toEqual({ __typename: 'Query' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await metricsOf(api)).not.toMatch(/background_tasks\{task="[^"]+"\} [1-9]/);
    } finally {
      await api.close();
    }
  });
});
