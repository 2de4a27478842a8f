/**
 * Liveness and readiness probes: `/livez` answers while the process does; `/readyz` answers 200 only
 * while this instance should get traffic (database answering, schema current, account listener up,
 * not draining), else 503 with the reason, so a load balancer routes around it.
 */
import type { ServerResponse } from 'node:http';
import type { DataSource } from 'typeorm';

/** How long the database gets to answer a probe: a probe must not hang with a sick pool. */
export const READINESS_TIMEOUT_MS = 1000;

type CheckResult = 'ok' | string;

export interface ReadinessReport {
  status: 'ready' | 'not ready';
  /** The first failing check's reason, in words. */
  reason?: string;
  checks: { draining: CheckResult; database: CheckResult; migrations: CheckResult; accountListener: CheckResult };
}

export class Readiness {
  /** Set once when the server starts draining; never cleared (a drained server stops). */
  draining = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly accountListener: { readonly connected: boolean },
    private readonly timeoutMs = READINESS_TIMEOUT_MS,
  ) {}

  async report(): Promise<ReadinessReport> {
    const checks: ReadinessReport['checks'] = {
      draining: this.draining ? 'the server is shutting down' : 'ok',
      database: 'ok',
      migrations: 'ok',
      accountListener: this.accountListener.connected ? 'ok' : 'not listening for account changes',
    };
    try {
      await withTimeout(this.dataSource.query('SELECT 1'), this.timeoutMs, 'did not answer');
      try {
        // True when a migration of this build has not been applied to the database.
        const pending = await withTimeout(this.dataSource.showMigrations(), this.timeoutMs, 'did not answer');
        if (pending) checks.migrations = 'pending migrations: the database is older than this build';
      } catch (error) {
        checks.migrations = `could not be read (${describe(error)})`;
      }
    } catch (error) {
      checks.database = `unreachable (${describe(error)})`;
      checks.migrations = 'unknown';
    }
    const failing = Object.entries(checks).find(([, result]) => result !== 'ok');
    return failing
      ? { status: 'not ready', reason: `${failing[0]}: ${failing[1]}`, checks }
      : { status: 'ready', checks };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms)),
  );
  promise.catch(() => undefined); // settled later than the timeout: nobody waits for it any more
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A short reason without SQL or stack: the error's code and first line. */
function describe(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message.split('\n')[0].slice(0, 200) : String(error);
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

export function answerLiveness(res: ServerResponse): void {
  sendJson(res, 200, { status: 'ok' });
}

export async function answerReadiness(res: ServerResponse, readiness: Readiness): Promise<void> {
  const report = await readiness.report();
  sendJson(res, report.status === 'ready' ? 200 : 503, report);
}
