import path from 'node:path';
import type { ClientConfig, Pool, PoolClient } from 'pg';
import { DataSource, Logger } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { entities } from './entities';
import { SnakeNamingStrategy } from '../naming-strategy';
import { installTransactionBoundary } from './transaction';
import type { DatabaseLimits } from '../config';
import { withoutNamedStatements } from './prepared';

/** Where a DataSource's connection for session state (LISTEN) goes: DATABASE_DIRECT_URL behind a pooler. */
const directUrls = new WeakMap<DataSource, string>();

/**
 * The settings of one connection outside the pool that keeps session state (LISTEN): the pool's
 * own, or DATABASE_DIRECT_URL's where the pool goes through a pooler in transaction mode.
 */
export function sessionConnectionConfig(dataSource: DataSource): ClientConfig {
  const pool = (dataSource.driver as PostgresDriver).master as Pool & { options: ClientConfig };
  const direct = directUrls.get(dataSource);
  if (!direct) return pool.options;
  const { host: _host, port: _port, user: _user, password: _password, database: _database, ...rest } = pool.options;
  return { ...rest, connectionString: direct };
}

/**
 * Counts the statements every connection of a DataSource's pool sends, whatever sent them
 * (TypeORM, prepared statements, entity readers): for tests of how many statements an operation costs.
 */
export class StatementCounter {
  count = 0;

  attach(dataSource: DataSource): void {
    const pool = (dataSource.driver as PostgresDriver).master as Pool & { _clients?: PoolClient[] };
    const counted = new WeakSet<PoolClient>();
    const count = (client: PoolClient) => {
      if (counted.has(client)) return;
      counted.add(client);
      const query = client.query;
      client.query = ((...args: Parameters<PoolClient['query']>) => {
        this.count++;
        return (query as (...a: unknown[]) => unknown).apply(client, args);
      }) as PoolClient['query'];
    };
    pool.on('connect', count);
    // Connections opened before attaching (TypeORM's first one): pg keeps them in `_clients`.
    for (const client of pool._clients ?? []) count(client);
  }
}

export const migrationsGlob = path.join(__dirname, '..', '..', '..', 'migrations', '*.{ts,js}');

/**
 * The application's DataSource. Its `transaction(work)` is the mutation boundary of
 * src/common/database/transaction.ts (retries, typed retryable errors, one connection per call).
 * `limits` bound every wait (the server passes the configuration's); without them (the CLI,
 * migrations, benchmarks) nothing times out.
 */
export function createDataSource(
  url: string,
  options: {
    poolSize?: number;
    logger?: Logger;
    limits?: Partial<DatabaseLimits>;
    sessionTimeZone?: string;
    /** `pgbouncer` (transaction mode): no named prepared statements, no startup parameters. */
    pooler?: 'pgbouncer';
    /** A connection straight to PostgreSQL for session state (LISTEN), where `pooler` is set. */
    directUrl?: string;
  } = {},
): DataSource {
  // PgBouncer refuses startup parameters it does not know: behind it they are set on the role.
  const limits = options.pooler ? {} : (options.limits ?? {});
  const dataSource = new DataSource({
    type: 'postgres',
    url,
    entities,
    migrations: [migrationsGlob],
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    migrationsRun: false,
    migrationsTransactionMode: 'all',
    logging: options.logger ? ['query'] : false,
    logger: options.logger,
    extra: {
      max: options.poolSize ?? options.limits?.poolSize ?? 20,
      application_name: 'credit-easy-loan',
      // Startup parameters of each connection (no SET per connection or transaction); 0 or absent: none.
      connectionTimeoutMillis: options.limits?.poolTimeoutMs ?? 0,
      ...(limits.statementTimeoutMs ? { statement_timeout: limits.statementTimeoutMs } : {}),
      ...(limits.lockTimeoutMs ? { lock_timeout: limits.lockTimeoutMs } : {}),
      ...(limits.idleInTransactionTimeoutMs
        ? { idle_in_transaction_session_timeout: limits.idleInTransactionTimeoutMs }
        : {}),
      // Business dates never depend on the session's zone; tests set it to show that.
      ...(options.sessionTimeZone ? { options: `-c TimeZone=${options.sessionTimeZone}` } : {}),
    },
  });
  installTransactionBoundary(dataSource);
  if (options.directUrl) directUrls.set(dataSource, options.directUrl);
  if (options.pooler) {
    const initialize = dataSource.initialize.bind(dataSource);
    dataSource.initialize = async () => {
      await initialize();
      withoutNamedStatements((dataSource.driver as PostgresDriver).master as Pool);
      return dataSource;
    };
  }
  return dataSource;
}
