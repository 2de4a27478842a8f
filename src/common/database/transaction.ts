import { AsyncLocalStorage } from 'node:async_hooks';
import type { Pool } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import type { Actor } from '../actor';
import { ServiceUnavailableError } from '../errors';
import { onPrimary } from './replicas';

/**
 * The transaction context: who acts and the one EntityManager every statement of the call runs
 * on. A service that works in a transaction receives it and takes nothing from the DataSource:
 * a second pooled connection while the first is held starves the pool under load (N requests
 * holding N connections, each waiting for an N+1th). The pool refuses such a connection outright
 * (see `guardPool`), so the mistake fails in the first test that takes that path.
 */
export interface TransactionContext {
  readonly actor: Actor;
  readonly manager: EntityManager;
}

/** What went wrong with the database, as far as a client may retry it. */
export type TransientKind =
  /** A deadlock or serialization failure: PostgreSQL rolled the transaction back; run it again. */
  | 'CONFLICT'
  /** The connection was lost or the server is down, starting or shutting down. */
  | 'UNAVAILABLE'
  /** A bounded wait ran out: pool, lock, statement or idle-in-transaction timeout. */
  | 'TIMEOUT';

const CONFLICT_CODES = new Set(['40P01', '40001']);
// 57P01–57P03: admin/crash shutdown, cannot connect now; class 08: connection exceptions; 53300: too many connections.
const UNAVAILABLE_CODES = new Set([
  ...['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '53300'],
  ...['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'],
]);
// 55P03: lock_timeout; 57014: statement_timeout (or a cancel); 25P03: idle_in_transaction_session_timeout.
const TIMEOUT_CODES = new Set(['55P03', '57014', '25P03']);
/** pg and pg-pool report these without a code. */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/,
  /not queryable/,
  /^Client was closed/,
  /^Cannot use a pool after calling end/,
];
/** TypeORM's query runner gives up its connection when the connection fails; later calls say so. */
const RELEASED_RUNNER = new Set(['QueryRunnerAlreadyReleasedError', 'QueryRunnerProviderAlreadyReleasedError']);
const TIMEOUT_MESSAGES = [
  /^timeout exceeded when trying to connect/,
  /^Connection terminated due to connection timeout/,
];

/** Whether an error is a passing condition of the database rather than a defect, and which. */
export function transientKind(error: unknown): TransientKind | null {
  if (!error || typeof error !== 'object') return null;
  if (error instanceof SecondConnectionError) return null;
  const { code, message, driverError } = error as { code?: unknown; message?: unknown; driverError?: unknown };
  const sqlState = typeof code === 'string' ? code : undefined;
  if (sqlState && CONFLICT_CODES.has(sqlState)) return 'CONFLICT';
  if (sqlState && TIMEOUT_CODES.has(sqlState)) return 'TIMEOUT';
  if (sqlState && UNAVAILABLE_CODES.has(sqlState)) return 'UNAVAILABLE';
  if (RELEASED_RUNNER.has((error as { name?: string }).name ?? '')) return 'UNAVAILABLE';
  const text = typeof message === 'string' ? message : '';
  if (TIMEOUT_MESSAGES.some((pattern) => pattern.test(text))) return 'TIMEOUT';
  if (UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(text))) return 'UNAVAILABLE';
  // AggregateError (a refused connection to every address of a host name) and TypeORM's wrappers.
  const nested = (error as { errors?: unknown[] }).errors;
  if (Array.isArray(nested) && nested.length > 0) return transientKind(nested[0]);
  return driverError && driverError !== error ? transientKind(driverError) : null;
}

/** The typed error a client gets for a transient condition: HTTP 503 with Retry-After. */
export function unavailable(kind: TransientKind): ServiceUnavailableError {
  return new ServiceUnavailableError(
    kind === 'CONFLICT'
      ? 'The operation conflicted with concurrent ones; retry it'
      : kind === 'TIMEOUT'
        ? 'The database is busy; retry the request'
        : 'The database is unavailable; retry the request',
  );
}

/** One line for the log: the condition and PostgreSQL's message, no stack trace. */
export function describeTransient(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const firstLine = String(message ?? error)
    .split('\n')[0]
    .slice(0, 200);
  return `${transientKind(error)}${typeof code === 'string' ? ` ${code}` : ''}: ${firstLine}`;
}

/** Thrown where code inside a transaction asks the pool for a second connection. */
export class SecondConnectionError extends Error {
  constructor() {
    super("A second pooled connection was requested inside a transaction: use the transaction context's manager");
    this.name = 'SecondConnectionError';
  }
}

export interface RetryPolicy {
  /** Runs of the transaction in all, the first included. */
  attempts: number;
  /** The wait before retry n is random in [0, baseDelayMs · 2^(n-1)] ("full jitter"), at most maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 15, maxDelayMs: 250 };

/** Retries taken, by kind: tests read these to show that a race ran without deadlocks. */
export const transactionRetries: Record<'CONFLICT' | 'UNAVAILABLE', number> & { deadlocks: number } = {
  CONFLICT: 0,
  UNAVAILABLE: 0,
  deadlocks: 0,
};

/**
 * Transactions may hold all but a quarter of the pool's connections (at least one is kept): when
 * writes stall behind a lock, they queue here rather than in the pool, and reads still find a
 * connection. The wait for a slot counts as the wait for a connection (the pool timeout).
 */
class TransactionSlots {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly size: number,
    private readonly timeoutMs: number,
  ) {}

  static of(pool: Pool): TransactionSlots {
    let slots = slotsByPool.get(pool);
    if (!slots) {
      const { options } = pool as unknown as { options: { max?: number; connectionTimeoutMillis?: number } };
      const { max = 10, connectionTimeoutMillis = 0 } = options;
      slots = new TransactionSlots(Math.max(1, max - Math.max(1, Math.floor(max / 4))), connectionTimeoutMillis);
      slotsByPool.set(pool, slots);
    }
    return slots;
  }

  async enter(): Promise<void> {
    if (this.active < this.size) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const admit = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer =
        this.timeoutMs > 0
          ? setTimeout(() => {
              this.waiting.splice(this.waiting.indexOf(admit), 1);
              reject(new Error('timeout exceeded when trying to connect (every transaction slot stayed busy)'));
            }, this.timeoutMs)
          : undefined;
      this.waiting.push(admit);
    });
  }

  /** Hands the slot to the next waiting transaction, if any. */
  leave(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}

const slotsByPool = new WeakMap<Pool, TransactionSlots>();

/** The pool whose connection the current async call chain holds in a transaction. */
const holding = new AsyncLocalStorage<Pool>();
const guarded = new WeakSet<Pool>();
let transactionsHolding = 0;

/**
 * Runs a transaction's work with `holding` set. While any AsyncLocalStorage is enabled, Node 20
 * runs a hook on every promise of the process; reads, which never hold a transaction, should not
 * pay for that. So the storage is enabled only while a transaction runs and disabled when the last
 * one ends (nothing is then held, so nothing needs to be seen); `run` enables it again.
 */
/** Whether the transaction context is being tracked now (only while a transaction runs). */
export function tracksTransactionContext(): boolean {
  return (holding as unknown as { enabled: boolean }).enabled;
}

async function whileHolding<R>(pool: Pool, work: () => Promise<R>): Promise<R> {
  transactionsHolding++;
  try {
    return await holding.run(pool, work);
  } finally {
    if (--transactionsHolding === 0) holding.disable();
  }
}

function poolOf(dataSource: DataSource): Pool {
  return (dataSource.driver as PostgresDriver).master as Pool;
}

/**
 * Makes the pool refuse a connection to code running inside one of its transactions (the same
 * async call chain). Everything that queries — TypeORM's managers and repositories of the
 * DataSource, prepared statements, entity readers — takes its connection through `connect`.
 *
 * Also gives every connection a lasting 'error' listener. A backend that is terminated sends its
 * error and then closes the socket: TypeORM lets go of the connection at the first event, and
 * the second, with nobody listening, would be thrown out of the event loop and end the process.
 * The query that was running still gets its error.
 */
function guardPool(pool: Pool): void {
  if (guarded.has(pool)) return;
  guarded.add(pool);
  type Listening = { on(event: 'error', listener: () => void): unknown };
  const keepQuiet = (client: Listening) => client.on('error', () => undefined);
  pool.on('connect', keepQuiet);
  for (const client of (pool as unknown as { _clients?: Listening[] })._clients ?? []) keepQuiet(client);
  const connect = pool.connect.bind(pool) as (callback?: (...args: unknown[]) => void) => unknown;
  (pool as { connect: unknown }).connect = (callback?: (...args: unknown[]) => void) => {
    if (holding.getStore() !== pool) return connect(callback);
    const error = new SecondConnectionError();
    if (!callback) return Promise.reject(error);
    process.nextTick(callback, error);
    return undefined;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The mutation boundary: runs `work` in one transaction on one connection and commits. A deadlock
 * or serialization failure, or a connection lost before COMMIT was sent, runs it again (the
 * transaction was rolled back, so nothing of the failed run remains), a bounded number of times
 * with jittered backoff. A connection lost during COMMIT is not retried: the commit may have
 * happened, and only the client's idempotency key can tell. Whatever transient condition remains
 * becomes `ServiceUnavailableError` (HTTP 503, Retry-After); every other error passes unchanged.
 * `work` must have no effect outside the database, as it may run more than once.
 */
export async function withTransaction<R>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<R>,
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<R> {
  const pool = poolOf(dataSource);
  guardPool(pool);
  if (holding.getStore() === pool) throw new SecondConnectionError();
  for (let attempt = 1; ; attempt++) {
    const phase = { committing: false };
    try {
      // A transaction writes, or reads what it is about to write: always the primary.
      return await onPrimary(() => runOnce(dataSource, pool, work, phase));
    } catch (error) {
      const kind = transientKind(error);
      if (!kind) throw error;
      const retryable = kind === 'CONFLICT' || (kind === 'UNAVAILABLE' && !phase.committing);
      // The request pipeline logs the SERVICE_UNAVAILABLE answer once (src/common/http/logging.ts).
      if (!retryable || attempt >= policy.attempts) throw unavailable(kind);
      transactionRetries[kind]++;
      const { code, driverError } = error as { code?: string; driverError?: { code?: string } };
      if (code === '40P01' || driverError?.code === '40P01') transactionRetries.deadlocks++;
      await sleep(Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)));
    }
  }
}

async function runOnce<R>(
  dataSource: DataSource,
  pool: Pool,
  work: (manager: EntityManager) => Promise<R>,
  phase: { committing: boolean },
): Promise<R> {
  const slots = TransactionSlots.of(pool);
  await slots.enter();
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    await runner.startTransaction();
    const result = await whileHolding(pool, () => work(runner.manager));
    phase.committing = true;
    await runner.commitTransaction();
    return result;
  } catch (error) {
    if (runner.isTransactionActive && !phase.committing) await runner.rollbackTransaction().catch(() => undefined);
    throw error;
  } finally {
    try {
      await runner.release();
    } finally {
      slots.leave();
    }
  }
}

/**
 * Routes `dataSource.transaction(work)` — however a module opens its transaction — through
 * `withTransaction`, so every transaction of the application has the guard, the retries and the
 * typed error. (An isolation level argument is not used anywhere and is refused.)
 */
export function installTransactionBoundary(dataSource: DataSource): void {
  const initialize = dataSource.initialize.bind(dataSource);
  dataSource.initialize = async () => {
    await initialize();
    guardPool(poolOf(dataSource));
    return dataSource;
  };
  (dataSource as { transaction: unknown }).transaction = (...args: unknown[]) => {
    if (args.length !== 1 || typeof args[0] !== 'function') {
      throw new Error('dataSource.transaction takes only the work function here');
    }
    return withTransaction(dataSource, args[0] as (manager: EntityManager) => Promise<unknown>);
  };
}
