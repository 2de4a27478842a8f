/**
 * Prometheus metrics (prom-client) at `/metrics`. Process-wide counters live in `processMetrics`,
 * which any module may import and increment (login failures, expiry sweeps); each server adds its
 * requests, refusals, pool and queue gauges, fed by a request-lifecycle hook.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import type { RequestHooks } from './request-lifecycle';
import { errorBody } from '../errors';

const PREFIX = 'credit_easy_loan_';

/** Metrics of the whole process: default Node.js/process metrics and counters the services bump. */
const processRegistry = new Registry();
collectDefaultMetrics({ register: processRegistry });

export const processMetrics = {
  loginFailures: new Counter({
    name: `${PREFIX}login_failures_total`,
    help: 'Sign-ins refused for a wrong email or password',
    registers: [processRegistry],
  }),
  expirySweeps: new Counter({
    name: `${PREFIX}expiry_sweeps_total`,
    help: 'Runs of the sweep that expires applications past their response deadline, by outcome',
    labelNames: ['outcome'] as const,
    registers: [processRegistry],
  }),
  applicationsExpired: new Counter({
    name: `${PREFIX}applications_expired_total`,
    help: 'Applications expired by the sweep',
    registers: [processRegistry],
  }),
  backgroundTasks: new Gauge({
    name: `${PREFIX}background_tasks`,
    help: 'Background loops this process runs (1 each; none in an api-role process)',
    labelNames: ['task'] as const,
    registers: [processRegistry],
  }),
  rateLimitStore: new Gauge({
    name: `${PREFIX}rate_limit_store`,
    help: 'Where rate limits are counted: 1 for redis (shared) or memory (this process, Redis out of reach)',
    labelNames: ['store'] as const,
    registers: [processRegistry],
  }),
  rateLimitFallbacks: new Counter({
    name: `${PREFIX}rate_limit_fallbacks_total`,
    help: 'Requests counted in this process because Redis did not answer',
    registers: [processRegistry],
  }),
  replicaReads: new Counter({
    name: `${PREFIX}replica_route_connections_total`,
    help: 'Connections taken by read-only requests: from a replica, or the primary (none in rotation, or behind)',
    labelNames: ['target'] as const,
    registers: [processRegistry],
  }),
  replicasInRotation: new Gauge({
    name: `${PREFIX}replicas_in_rotation`,
    help: 'Read replicas currently answering reads',
    registers: [processRegistry],
  }),
  retentionDeletedRows: new Counter({
    name: `${PREFIX}retention_deleted_rows_total`,
    help: 'Rows the retention job deleted past their retention period, by table',
    labelNames: ['table'] as const,
    registers: [processRegistry],
  }),
  backgroundTaskRuns: new Counter({
    name: `${PREFIX}background_task_runs_total`,
    help: 'Runs of the background loops, by task and outcome',
    labelNames: ['task', 'outcome'] as const,
    registers: [processRegistry],
  }),
};

/** Distinct operation names kept as labels; beyond them a name is counted as "other". */
const MAX_OPERATION_NAMES = 200;

/** How long the queue gauges' counts may take at a scrape. */
const QUEUE_QUERY_TIMEOUT_MS = 1000;

export interface ServerMetrics {
  registry: Registry;
  hooks: RequestHooks;
}

/** The metrics of one server over one DataSource. */
export function createServerMetrics(dataSource: DataSource): ServerMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: `${PREFIX}graphql_requests_total`,
    help: 'GraphQL requests by operation name, operation type and outcome',
    labelNames: ['operation', 'type', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: `${PREFIX}graphql_request_duration_seconds`,
    help: 'Time from a GraphQL request arriving to its response being sent',
    labelNames: ['operation', 'type', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const refusals = new Counter({
    name: `${PREFIX}refusals_total`,
    help:
      'Requests refused by a limit (rate_ip, rate_actor, depth, aliases, cost, body_size, nesting, ' +
      'connections, subscriptions)',
    labelNames: ['limit'] as const,
    registers: [registry],
  });
  const pool = () => (dataSource.driver as PostgresDriver).master as Pool | undefined;
  const poolGauge = (name: string, help: string, read: (p: Pool) => number) =>
    new Gauge({
      name: `${PREFIX}db_pool_${name}`,
      help,
      registers: [registry],
      collect() {
        const p = pool();
        if (p) this.set(read(p));
      },
    });
  poolGauge('connections', 'Connections open in the database pool', (p) => p.totalCount);
  poolGauge('idle_connections', 'Open pool connections not in use', (p) => p.idleCount);
  poolGauge('waiting_requests', 'Queries waiting for a pool connection', (p) => p.waitingCount);

  // One statement for both queue gauges, run once per scrape.
  let pending: Promise<{ jobs: number; deltas: number } | null> | null = null;
  const readQueues = () =>
    (pending ??= Promise.race([
      dataSource
        .query(
          `SELECT (SELECT count(*) FROM matching_job WHERE finished_at IS NULL) AS jobs,
                  (SELECT count(*) FROM stats_delta) AS deltas`,
        )
        .then(([row]: Array<{ jobs: string; deltas: string }>) => ({
          jobs: Number(row.jobs),
          deltas: Number(row.deltas),
        })),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), QUEUE_QUERY_TIMEOUT_MS).unref()),
    ])
      // With the database down the gauges keep their last value; readiness says why.
      .catch(() => null)
      .finally(() => setImmediate(() => (pending = null))));
  const queueGauge = (name: string, help: string, queue: 'jobs' | 'deltas') =>
    new Gauge({
      name: `${PREFIX}${name}`,
      help,
      registers: [registry],
      async collect() {
        const queues = await readQueues();
        if (queues) this.set(queues[queue]);
      },
    });
  queueGauge('matching_jobs_pending', 'Queued match refreshes not yet worked', 'jobs');
  queueGauge('stats_deltas_pending', 'Statistics deltas not yet folded into the rollup', 'deltas');

  const operations = new Set<string>();
  const operationLabel = (name: string | undefined) => {
    if (!name) return '(anonymous)';
    if (operations.has(name)) return name;
    if (operations.size >= MAX_OPERATION_NAMES) return '(other)';
    operations.add(name);
    return name;
  };

  return {
    registry,
    hooks: {
      onRequestEnd(request) {
        if (request.refusal) refusals.inc({ limit: request.refusal });
        if (request.path !== '/graphql') return;
        const labels = {
          operation: operationLabel(request.operationName),
          type: request.operationType ?? 'unknown',
          outcome: request.outcome!,
        };
        requests.inc(labels);
        duration.observe(labels, request.durationMs! / 1000);
      },
    },
  };
}

export interface MetricsEndpoint {
  enabled: boolean;
  /** Bearer token the scrape must send, when set. */
  token?: string;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Answers GET /metrics: the process's and this server's metrics, behind the token when one is set. */
export async function answerMetrics(
  req: IncomingMessage,
  res: ServerResponse,
  server: Registry,
  endpoint: MetricsEndpoint,
): Promise<void> {
  if (endpoint.token) {
    const sent = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (!timingSafeEqual(digest(sent), digest(endpoint.token))) {
      const body = errorBody('UNAUTHENTICATED', 'Send Authorization: Bearer <METRICS_TOKEN>');
      res.writeHead(401, {
        'content-type': 'application/json; charset=utf-8',
        'www-authenticate': 'Bearer',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
      return;
    }
  }
  const text = (await processRegistry.metrics()) + (await server.metrics());
  res.writeHead(200, {
    'content-type': processRegistry.contentType,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}
