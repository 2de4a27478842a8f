/**
 * Read replicas with read-your-writes (DATABASE_REPLICA_URLS). What routes where:
 * - a GraphQL query (no mutation or subscription in its document) reads from a replica in rotation;
 * - mutations, transactions (withTransaction runs outside any read route), who acts (the token's
 *   account), background work and scripts use the primary;
 * - a mutation's response carries the WAL position after its commit (X-Consistency-Token); a read
 *   sending it back uses a replica only once that replica has replayed past it
 *   (`pg_last_wal_replay_lsn()`), waiting up to DATABASE_REPLICA_WAIT_MS, else the primary;
 * - a replica that fails, or lags the primary by more than DATABASE_REPLICA_MAX_LAG_BYTES, leaves
 *   the rotation until a check finds it well again.
 * The route is chosen where a connection is taken from the primary's pool: every query of the
 * request (TypeORM, prepared statements, entity readers) takes its connection there.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Pool, PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { processMetrics } from '../http/metrics';
import { withoutNamedStatements } from './prepared';

/** What a request may read from: a replica (past `minLsn` when set), or, without a route, the primary. */
export interface ReadRoute {
  minLsn: string | null;
  /** The replica this request already found caught up (replay positions only grow). */
  caughtUp?: Replica;
}

const routes = new AsyncLocalStorage<ReadRoute>();

/** Runs `work` with its reads routed to the replicas (see the module's comment). */
export function readFromReplicas<R>(route: ReadRoute, work: () => R): R {
  return routes.run(route, work);
}

/** Runs `work` on the primary whatever route it was called in (transactions, who acts). */
export function onPrimary<R>(work: () => R): R {
  return routes.getStore() ? routes.exit(work) : work();
}

/** A WAL position as PostgreSQL prints it (`16/B374D848`). */
export const LSN = /^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/i;

/** The header a mutation's response carries and a later read may send back. */
export const CONSISTENCY_HEADER = 'x-consistency-token';

/** Whether a GraphQL document may read from a replica: nothing in it may write (conservative). */
export function isReadOnlyDocument(query: unknown): boolean {
  return typeof query === 'string' && !/\b(mutation|subscription)\b/.test(query);
}

export interface ReplicaOptions {
  /** Longer behind the primary than this many bytes of WAL: out of rotation. */
  maxLagBytes: number;
  /** How long a read carrying a consistency token waits for a replica to replay past it. */
  waitMs: number;
  /** How often each replica's health and lag are checked. */
  checkIntervalMs: number;
  poolSize: number;
  statementTimeoutMs?: number;
  /** Behind PgBouncer in transaction mode: no named prepared statements (src/common/database/prepared.ts). */
  unnamedStatements?: boolean;
}

export class Replica {
  inRotation = true;
  /** Why it is out of rotation (for the log and /readyz). */
  reason: string | null = null;

  constructor(
    readonly name: string,
    readonly pool: Pool,
  ) {
    // A replica's connection failing, between queries or in one, must not end the process (an
    // 'error' event nobody listens to would): it takes the replica out of rotation instead.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', (error) => this.take(error.message)));
  }

  take(reason: string): void {
    if (this.inRotation) processMetrics.replicasInRotation.dec();
    this.inRotation = false;
    this.reason = reason;
  }

  restore(): void {
    if (!this.inRotation) processMetrics.replicasInRotation.inc();
    this.inRotation = true;
    this.reason = null;
  }
}

type Connect = (callback?: (...args: unknown[]) => void) => unknown;

export class ReplicaSet {
  readonly replicas: Replica[];
  private next = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    urls: string[],
    private readonly primary: Pool,
    readonly options: ReplicaOptions,
  ) {
    this.replicas = urls.map((url, i) => {
      const pool = new Pool({
        connectionString: url,
        max: options.poolSize,
        application_name: 'credit-easy-loan-reads',
        connectionTimeoutMillis: 2_000,
        ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
      });
      if (options.unnamedStatements) withoutNamedStatements(pool);
      return new Replica(`replica-${i + 1}`, pool);
    });
    processMetrics.replicasInRotation.inc(this.replicas.length);
  }

  /** Checks every replica now and then every checkIntervalMs. */
  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), this.options.checkIntervalMs);
    this.timer.unref();
  }

  /** In rotation: answers, and behind the primary by no more than maxLagBytes of WAL. */
  async check(): Promise<void> {
    let primaryLsn: string;
    try {
      primaryLsn = (await this.primary.query('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0].lsn;
    } catch {
      return;
    }
    await Promise.all(
      this.replicas.map(async (replica) => {
        try {
          const { rows } = await replica.pool.query(
            'SELECT pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn())::float8 AS lag',
            [primaryLsn],
          );
          const lag = rows[0].lag as number | null;
          if (lag === null) replica.take('not a standby');
          else if (lag > this.options.maxLagBytes) replica.take(`behind by ${lag} bytes of WAL`);
          else replica.restore();
        } catch (error) {
          replica.take(error instanceof Error ? error.message : String(error));
        }
      }),
    );
  }

  /** The next replica in rotation (round robin), or null. */
  pick(): Replica | null {
    for (let i = 0; i < this.replicas.length; i++) {
      const replica = this.replicas[this.next++ % this.replicas.length];
      if (replica.inRotation) return replica;
    }
    return null;
  }

  /** A connection for `route`: a replica's when one is in rotation and past its minLsn, else null (primary). */
  async connectionFor(route: ReadRoute): Promise<PoolClient | null> {
    const replica = route.caughtUp ?? this.pick();
    if (!replica) return null;
    let client: PoolClient;
    try {
      client = await replica.pool.connect();
    } catch (error) {
      replica.take(error instanceof Error ? error.message : String(error));
      return null;
    }
    if (!route.minLsn || route.caughtUp === replica) return client;
    try {
      const deadline = Date.now() + this.options.waitMs;
      for (;;) {
        const { rows } = await client.query('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS caught_up', [
          route.minLsn,
        ]);
        if (rows[0].caught_up) {
          route.caughtUp = replica;
          return client;
        }
        if (Date.now() >= deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } catch (error) {
      client.release(true);
      replica.take(error instanceof Error ? error.message : String(error));
      return null;
    }
    client.release();
    processMetrics.replicaReads.inc({ target: 'primary_behind' });
    return null;
  }

  /**
   * Routes the primary pool's connections: inside a read route a replica's connection is handed out
   * instead, where `connectionFor` finds one; otherwise (and on any doubt) the primary's.
   */
  install(): void {
    const pool = this.primary;
    const connect = (pool.connect as Connect).bind(pool);
    (pool as { connect: unknown }).connect = (callback?: (...args: unknown[]) => void) => {
      const route = routes.getStore();
      if (!route) return connect(callback);
      const chosen = this.connectionFor(route).then(async (client) => {
        if (client) {
          processMetrics.replicaReads.inc({ target: 'replica' });
          return client;
        }
        processMetrics.replicaReads.inc({ target: 'primary' });
        return onPrimary(() => connect() as Promise<PoolClient>);
      });
      if (!callback) return chosen;
      chosen.then(
        (client) => callback(undefined, client, (error?: Error | boolean) => client.release(error)),
        (error) => callback(error),
      );
      return undefined;
    };
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    processMetrics.replicasInRotation.dec(this.replicas.filter((replica) => replica.inRotation).length);
    await Promise.all(this.replicas.map((replica) => replica.pool.end()));
  }
}

/** The primary's WAL position now: after a commit, a position every replica that has it has passed. */
export async function walPosition(dataSource: DataSource): Promise<string> {
  const pool = (dataSource.driver as PostgresDriver).master as Pool;
  const { rows } = await onPrimary(() => pool.query('SELECT pg_current_wal_insert_lsn()::text AS lsn'));
  return rows[0].lsn;
}

/** Replica routing on `dataSource`'s pool; null without replica URLs (everything on the primary). */
export async function startReplicas(
  dataSource: DataSource,
  urls: string[],
  options: ReplicaOptions,
): Promise<ReplicaSet | null> {
  if (urls.length === 0) return null;
  const set = new ReplicaSet(urls, (dataSource.driver as PostgresDriver).master as Pool, options);
  set.install();
  await set.start();
  return set;
}
